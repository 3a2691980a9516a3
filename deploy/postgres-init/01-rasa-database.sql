-- Rasa's SQL tracker store keeps its conversations in a database of its own (compose only:
-- the PostgreSQL image runs this once, when it creates the data volume).
CREATE DATABASE rasa OWNER shop;
