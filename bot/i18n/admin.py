"""Labels of the admin pages (bot/admin/static/, served as ``GET /admin/texts.json`` by
bot/admin/pages.py without the ``admin.`` prefix). Placeholders (``{name}``) are filled in the
browser."""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # --- the shell -------------------------------------------------------------------------------
    "admin.title": {"en": "Assistant studio", "zh": "客服助手管理台"},
    "admin.menu": {"en": "Pages", "zh": "页面"},
    "admin.signed_in": {"en": "{name} ({role})", "zh": "{name}（{role}）"},
    "admin.switch_language": {"en": "中文", "zh": "English 英文"},
    "admin.logout": {"en": "Log out", "zh": "退出登录"},
    "admin.network": {
        "en": "The server cannot be reached; check the connection and try again.",
        "zh": "无法连接服务器，请检查网络后重试。",
    },
    "admin.bad_answer": {
        "en": "The server answered {status} without a usable message.",
        "zh": "服务器返回 {status}，但没有可用的说明。",
    },
    "admin.loading": {"en": "Loading…", "zh": "加载中…"},
    "admin.save": {"en": "Save", "zh": "保存"},
    "admin.saved": {"en": "Saved.", "zh": "已保存。"},
    "admin.saved_next_training": {
        "en": "Saved. Customers get it with the next training (Model page).",
        "zh": "已保存。下次训练（“模型”页面）后对客户生效。",
    },
    "admin.unchanged": {"en": "Nothing changed.", "zh": "没有改动。"},
    "admin.created": {"en": "Created.", "zh": "已新建。"},
    "admin.add": {"en": "Add", "zh": "添加"},
    "admin.remove": {"en": "Remove", "zh": "删除"},
    "admin.line": {"en": "line {line}:", "zh": "第 {line} 行："},
    "admin.read_only": {
        "en": "Your role may read but not edit these.",
        "zh": "您的角色只能查看，不能编辑。",
    },
    "admin.role.editor": {"en": "editor", "zh": "编辑"},
    "admin.role.reviewer": {"en": "reviewer", "zh": "审核员"},
    "admin.role.owner": {"en": "owner", "zh": "所有者"},
    "admin.lang.zh": {"en": "Chinese", "zh": "中文"},
    "admin.lang.en": {"en": "English", "zh": "英文"},
    # --- the nav (one entry per page: admin.nav.<page>) -----------------------------------------
    "admin.nav.faq": {"en": "FAQ answers", "zh": "常见问题"},
    "admin.nav.nlu": {"en": "Training examples", "zh": "训练例句"},
    "admin.nav.steps": {"en": "Rules and stories", "zh": "规则与故事"},
    "admin.nav.policies": {"en": "Shop policies", "zh": "店铺政策"},
    "admin.nav.model": {"en": "Model", "zh": "模型"},
    "admin.nav.audit": {"en": "Audit log", "zh": "操作记录"},
    "admin.nav.dashboard": {"en": "Dashboard", "zh": "数据看板"},
    # --- login -----------------------------------------------------------------------------------
    "admin.login.title": {"en": "Log in", "zh": "登录"},
    "admin.login.name": {"en": "Name", "zh": "用户名"},
    "admin.login.password": {"en": "Password", "zh": "密码"},
    "admin.login.submit": {"en": "Log in", "zh": "登录"},
    "admin.login.first_account": {
        "en": "No account yet? On the server: python -m bot admin add-user <name> --role owner",
        "zh": "还没有账号？在服务器上运行：python -m bot admin add-user <name> --role owner",
    },
    # --- FAQ -------------------------------------------------------------------------------------
    "admin.faq.preview": {"en": "What customers read", "zh": "客户看到的内容"},
    "admin.faq.replies": {"en": "The assistant's own replies", "zh": "助手的固定回复"},
    "admin.faq.replies_help": {
        "en": "Greeting, goodbye, fallback and other fixed replies. {slot} placeholders are "
        "filled by the assistant; keep only the ones a reply already has.",
        "zh": "问候、告别、兜底等固定回复。{slot} 形式的占位符由助手填入，"
        "只能保留回复原有的占位符。",
    },
    "admin.faq.placeholders": {
        "en": "Answers may quote the shop's policies:",
        "zh": "回答中可以引用店铺政策：",
    },
    # --- NLU -------------------------------------------------------------------------------------
    "admin.nlu.intent": {"en": "Intent", "zh": "意图"},
    "admin.nlu.option": {
        "en": "{intent} (zh {zh}, en {en})",
        "zh": "{intent}（中文 {zh}，英文 {en}）",
    },
    "admin.nlu.preview": {
        "en": "How would the current model read this?",
        "zh": "当前模型会如何理解这句话？",
    },
    "admin.nlu.preview_text": {"en": "A customer's message", "zh": "客户的消息"},
    "admin.nlu.read": {"en": "Read it", "zh": "解析"},
    "admin.nlu.reads_as": {
        "en": "Intent: {intent} ({confidence}% sure)",
        "zh": "意图：{intent}（置信度 {confidence}%）",
    },
    "admin.nlu.faq_key": {"en": "FAQ answer: {key}", "zh": "常见问题回答：{key}"},
    "admin.nlu.entities": {"en": "Entities:", "zh": "实体："},
    "admin.nlu.no_entities": {"en": "No entities.", "zh": "没有识别到实体。"},
    # --- rules and stories -----------------------------------------------------------------------
    "admin.steps.rules": {"en": "Rules", "zh": "规则"},
    "admin.steps.stories": {"en": "Stories", "zh": "故事"},
    "admin.steps.new_rules": {"en": "New rule", "zh": "新建规则"},
    "admin.steps.new_stories": {"en": "New story", "zh": "新建故事"},
    "admin.steps.name": {"en": "Name", "zh": "名称"},
    "admin.steps.name_required": {"en": "Give it a name.", "zh": "请填写名称。"},
    "admin.steps.yaml": {
        "en": "Steps (Rasa YAML: steps, and for rules condition, wait_for_user_input, "
        "conversation_start)",
        "zh": "步骤（Rasa YAML 格式：steps；规则还可以有 condition、wait_for_user_input、"
        "conversation_start）",
    },
    "admin.steps.count": {"en": "{n} steps · {file}", "zh": "{n} 步 · {file}"},
    # --- policies --------------------------------------------------------------------------------
    "admin.policies.intro": {
        "en": "FAQ answers quote these values. A change shows in the FAQ answers at once and "
        "reaches customers with the next training; the return rules and service hours the "
        "assistant applies follow after a restart.",
        "zh": "常见问题的回答会引用这些数值。修改后常见问题的回答立即更新，下次训练后对客户生效；"
        "助手执行的退货规则和服务时间在重启后生效。",
    },
    "admin.policies.saved_here": {
        "en": "saved here (over config.yml's {key})",
        "zh": "在此保存（覆盖 config.yml 的 {key}）",
    },
    "admin.policies.from_config": {"en": "config.yml: {key}", "zh": "来自 config.yml：{key}"},
    "admin.policies.range": {"en": "{min} to {max}", "zh": "{min} 至 {max}"},
    "admin.policies.saved": {
        "en": "Saved. FAQ answers updated: {keys}. Customers get them with the next training.",
        "zh": "已保存。已更新的常见问题回答：{keys}。下次训练后对客户生效。",
    },
    "admin.policy.return_days": {
        "en": "Returns without a reason (days)",
        "zh": "无理由退货期限（天）",
    },
    "admin.policy.quality_return_days": {
        "en": "Returns for a quality problem (days)",
        "zh": "质量问题退货期限（天）",
    },
    "admin.policy.quality_exchange_days": {
        "en": "Exchanges for a quality problem (days)",
        "zh": "质量问题换货期限（天）",
    },
    "admin.policy.free_shipping_threshold": {
        "en": "Free shipping from (¥)",
        "zh": "包邮门槛（元）",
    },
    "admin.policy.shipping_fee": {"en": "Shipping fee below it (¥)", "zh": "未达门槛的运费（元）"},
    "admin.policy.service_hours": {
        "en": "Service hours (e.g. 09:00-21:00)",
        "zh": "人工客服时间（例如 09:00-21:00）",
    },
    "admin.policy.return_phone": {"en": "Returns phone number", "zh": "退货联系电话"},
    # --- model -----------------------------------------------------------------------------------
    "admin.model.intro": {
        "en": "Training checks the data, trains, tests the new model on the held-out "
        "phrasings and the test stories, and puts it live only when it is not worse.",
        "zh": "训练会检查数据、训练模型、用保留的测试语句和测试故事评估新模型，"
        "只有不比当前模型差时才会上线。",
    },
    "admin.model.owner_only": {
        "en": "Only owners may train and roll back.",
        "zh": "只有所有者可以训练和回滚。",
    },
    "admin.model.train": {"en": "Train and deploy", "zh": "训练并上线"},
    "admin.model.rollback": {"en": "Roll back", "zh": "回滚"},
    "admin.model.rollback_confirm": {
        "en": "Go back to the version that was live before this one?",
        "zh": "确定回到上一个上线的版本吗？",
    },
    "admin.model.rolled_back": {"en": "Live now: {version}.", "zh": "当前上线版本：{version}。"},
    "admin.model.job": {"en": "Training job {id}", "zh": "训练任务 {id}"},
    "admin.model.stage": {"en": "step: {stage}", "zh": "步骤：{stage}"},
    "admin.model.stages.validate": {"en": "checking the data", "zh": "检查数据"},
    "admin.model.stages.train": {"en": "training", "zh": "训练中"},
    "admin.model.stages.evaluate": {"en": "testing the new model", "zh": "评估新模型"},
    "admin.model.stages.evaluate_the_active_model": {
        "en": "measuring the live model",
        "zh": "评估当前上线模型",
    },
    "admin.model.stages.gate": {"en": "refused by the gate", "zh": "未通过上线检查"},
    "admin.model.stages.activate": {"en": "loading it into Rasa", "zh": "加载到 Rasa"},
    "admin.model.stages.done": {"en": "done", "zh": "完成"},
    "admin.model.status.queued": {"en": "Queued", "zh": "排队中"},
    "admin.model.status.running": {"en": "Running", "zh": "进行中"},
    "admin.model.status.succeeded": {"en": "Succeeded", "zh": "成功"},
    "admin.model.status.failed": {"en": "Failed", "zh": "失败"},
    "admin.model.status.rejected": {"en": "Rejected", "zh": "被拒绝"},
    "admin.model.metrics": {
        "en": "Held-out accuracy {accuracy} (live model {baseline}); failed test stories: "
        "{failed} of {total}",
        "zh": "保留集准确率 {accuracy}（当前模型 {baseline}）；"
        "未通过的测试故事：{failed} / {total}",
    },
    "admin.model.versions": {"en": "Versions", "zh": "版本"},
    "admin.model.active": {"en": "Live: {version}", "zh": "当前上线：{version}"},
    "admin.model.col.version": {"en": "Version", "zh": "版本"},
    "admin.model.col.state": {"en": "State", "zh": "状态"},
    "admin.model.col.accuracy": {"en": "Held-out accuracy", "zh": "保留集准确率"},
    "admin.model.col.created": {"en": "Created", "zh": "创建时间"},
    "admin.model.state.active": {"en": "live", "zh": "上线中"},
    "admin.model.state.trained": {"en": "trained", "zh": "已训练"},
    "admin.model.state.retired": {"en": "earlier", "zh": "历史版本"},
    "admin.model.state.rejected": {"en": "rejected", "zh": "被拒绝"},
    "admin.model.state.rolled_back": {"en": "rolled back", "zh": "已回滚"},
    "admin.model.diff": {"en": "Changes", "zh": "改动"},
    "admin.model.diff_of": {
        "en": "What changed in {version}",
        "zh": "{version} 的改动",
    },
    "admin.model.no_diff": {
        "en": "No changes against the version before.",
        "zh": "与上一个版本相比没有改动。",
    },
    # --- audit -----------------------------------------------------------------------------------
    "admin.audit.kind": {"en": "Kind", "zh": "类型"},
    "admin.audit.all": {"en": "all", "zh": "全部"},
    "admin.audit.when": {"en": "When", "zh": "时间"},
    "admin.audit.who": {"en": "Who", "zh": "操作人"},
    "admin.audit.name": {"en": "What", "zh": "对象"},
    "admin.audit.change": {"en": "Change", "zh": "改动"},
    "admin.audit.show": {"en": "Before and after", "zh": "修改前后"},
    "admin.audit.before": {"en": "Before", "zh": "修改前"},
    "admin.audit.after": {"en": "After", "zh": "修改后"},
    "admin.audit.empty": {"en": "No changes yet.", "zh": "还没有改动记录。"},
    # --- the review queue ---------------------------------------------------------------------
    "admin.nav.review": {"en": "Review queue", "zh": "待审核对话"},
    "admin.review.intro": {
        "en": "Messages the assistant did not handle well (personal data removed). Label the "
        "intent it should have been, and the phrase joins that intent's examples at the next "
        "training.",
        "zh": "助手没有处理好的消息（个人信息已隐去）。选择它本应识别成的意图，"
        "下次训练时这句话就会加入该意图的例句。",
    },
    "admin.review.kind": {"en": "Kind", "zh": "类型"},
    "admin.review.status": {"en": "Status", "zh": "状态"},
    "admin.review.all": {"en": "all", "zh": "全部"},
    "admin.review.kind.nlu_fallback": {"en": "not understood", "zh": "未能理解"},
    "admin.review.kind.low_confidence": {"en": "low confidence", "zh": "置信度低"},
    "admin.review.kind.fallback": {"en": "fallback gave up", "zh": "兜底失败"},
    "admin.review.kind.not_helpful": {"en": '"not helpful"', "zh": "客户说没帮助"},
    "admin.review.kind.handoff": {"en": "handed to a person", "zh": "转人工"},
    "admin.review.kind.low_rating": {"en": "rated 1-2", "zh": "评分 1-2"},
    "admin.review.kind.paraphrase": {"en": "proposed phrasing", "zh": "模型建议的说法"},
    "admin.review.proposed_for": {"en": "proposed for {intent}", "zh": "建议加入 {intent}"},
    "admin.review.accept": {"en": "Accept into {intent}", "zh": "接受并加入 {intent}"},
    "admin.review.reject": {"en": "Reject", "zh": "拒绝"},
    "admin.review.propose_for": {
        "en": "Propose phrasings with the large model for",
        "zh": "用大模型为以下意图生成候选说法",
    },
    "admin.review.propose": {"en": "Propose", "zh": "生成"},
    "admin.review.proposing": {"en": "Asking the model…", "zh": "正在请求模型…"},
    "admin.review.proposed": {
        "en": "{count} candidates to review ({dropped} dropped as known or held-out).",
        "zh": "{count} 条候选待审核（{dropped} 条因已有或属于保留测试集而丢弃）。",
    },
    "admin.review.status.open": {"en": "open", "zh": "待处理"},
    "admin.review.status.labelled": {"en": "labelled", "zh": "已标注"},
    "admin.review.status.dismissed": {"en": "dismissed", "zh": "已忽略"},
    "admin.review.predicted": {
        "en": "model read: {intent} ({confidence})",
        "zh": "模型识别：{intent}（{confidence}）",
    },
    "admin.review.count": {"en": "seen {count} times", "zh": "出现 {count} 次"},
    "admin.review.decided": {
        "en": "{status}: {label} by {reviewer}",
        "zh": "{status}：{label}（{reviewer}）",
    },
    "admin.review.intent": {"en": "Intent", "zh": "意图"},
    "admin.review.choose": {"en": "Choose an intent", "zh": "请选择意图"},
    "admin.review.label": {"en": "Add to training", "zh": "加入训练数据"},
    "admin.review.out_of_scope": {"en": "Out of scope", "zh": "超出范围"},
    "admin.review.dismiss": {"en": "Dismiss", "zh": "忽略"},
    "admin.review.labelled": {
        "en": "Added to {label} ({closed} similar items closed).",
        "zh": "已加入 {label}（同时关闭 {closed} 条相同内容）。",
    },
    "admin.review.dismissed": {"en": "Dismissed.", "zh": "已忽略。"},
    "admin.review.empty": {"en": "Nothing to review.", "zh": "没有待审核的内容。"},
    "admin.review.range": {
        "en": "{from}-{to} of {total}",
        "zh": "第 {from}-{to} 条，共 {total} 条",
    },
    "admin.review.previous": {"en": "Previous", "zh": "上一页"},
    "admin.review.next": {"en": "Next", "zh": "下一页"},
}
