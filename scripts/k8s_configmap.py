"""Write deploy/k8s/configmap.yaml from config.yml (`make k8s-config`).

The pods' config.yml is the repository's with the settings in OVERRIDES changed (a real shop
has no demo customer picker). tests/deploy checks the file is what this script writes, so run
it after editing config.yml.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "deploy" / "k8s" / "configmap.yaml"

# (line in config.yml, line in the ConfigMap)
OVERRIDES = (
    (
        "  demo_picker: true              # demo customer picker on the page;"
        " false for a real shop",
        "  demo_picker: false             # a real shop: no demo customer picker (deploy/k8s)",
    ),
)

HEADER = """\
# config.yml for the pods, mounted at /etc/shopbot/config.yml (SHOP_CONFIG). Generated from the
# repository's config.yml by `make k8s-config` (scripts/k8s_configmap.py), with web.demo_picker
# off; do not edit by hand. Secrets are never here: they come from the Secret shop-secrets.
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-config
  labels:
    app.kubernetes.io/part-of: shopbot
data:
  config.yml: |
"""


def render(config_text: str) -> str:
    """The ConfigMap manifest holding ``config_text`` with OVERRIDES applied."""
    for old, new in OVERRIDES:
        if old not in config_text:
            raise ValueError(f"config.yml no longer has the line {old.strip()!r}")
        config_text = config_text.replace(old, new)
    body = "".join(f"    {line}" if line.strip() else "\n" for line in config_text.splitlines(True))
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.write_text(render(args.config.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
