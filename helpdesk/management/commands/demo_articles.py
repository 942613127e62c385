"""Help-center articles and FAQs that seed_demo loads, in English and Russian."""

from __future__ import annotations

# title, category, language, tags, Markdown content
DEMO_ARTICLES: list[tuple[str, str, str, list[str], str]] = [
    (
        "Configure two-factor login",
        "account",
        "en",
        ["security", "2fa", "sign-in"],
        "Two-factor login protects your account with a code from your phone.\n\n"
        "1. Open **Profile → Security**.\n2. Choose *Authenticator app* or *SMS*.\n"
        "3. Scan the QR code and type the six-digit code to confirm.\n\n"
        "Keep the recovery codes somewhere safe: they are the only way in if you lose your phone.",
    ),
    (
        "Reset a forgotten password",
        "account",
        "en",
        ["password", "sign-in"],
        "If you forgot your password, click **Forgot password?** on the sign-in page and enter your email address.\n\n"
        "We send a reset link that works for one hour. Check the spam folder if it does not arrive within a few minutes.",
    ),
    (
        "Change your email address",
        "account",
        "en",
        ["profile", "email"],
        "Go to **Profile → Account** and enter the new address. We send a confirmation link to it; "
        "the change takes effect once you click it. Your old address receives a notice for your security.",
    ),
    (
        "Invite colleagues to your workspace",
        "account",
        "en",
        ["users", "team"],
        "Administrators can invite colleagues from **Settings → Users → Invite**. Each invitation is valid for seven days. "
        "You can choose the role (agent, supervisor or admin) before sending it.",
    ),
    (
        "Close your account",
        "account",
        "en",
        ["privacy", "gdpr"],
        "To close your account, open **Settings → Account → Close account**. We keep invoices for ten years as the law "
        "requires and delete everything else within 30 days.",
    ),
    (
        "Download invoices",
        "billing",
        "en",
        ["invoice", "pdf"],
        "All invoices are under **Billing → Invoices**. Click an invoice to download it as PDF. "
        "Invoices are issued on the first day of each billing period.",
    ),
    (
        "Update your payment method",
        "billing",
        "en",
        ["card", "payment"],
        "Open **Billing → Payment method** and click **Replace card**. The new card is charged from the next invoice on; "
        "failed payments are retried automatically after three days.",
    ),
    (
        "Request a refund",
        "billing",
        "en",
        ["refund", "payment"],
        "Annual plans can be refunded within 30 days of purchase. Write to support with your invoice number and the "
        "reason; refunds reach your card within 5–10 business days.",
    ),
    (
        "Add your VAT number to invoices",
        "billing",
        "en",
        ["vat", "invoice", "tax"],
        "Enter your VAT number, including the country prefix (for example **DE123456789**), under **Billing → Company "
        "details**. It appears on every invoice issued afterwards; ask support to re-issue older ones.",
    ),
    (
        "Understand pro-rated charges",
        "billing",
        "en",
        ["plans", "upgrade"],
        "When you upgrade in the middle of a period, the days left on your current plan are credited and the new plan is "
        "charged for the rest of the period. Downgrades take effect at the next renewal.",
    ),
    (
        "Export data to CSV",
        "technical",
        "en",
        ["export", "csv"],
        "Open **Settings → Data → Export**, choose CSV and the records you need. Large exports run in the background and "
        "we email you a download link when the file is ready.",
    ),
    (
        "Set up webhooks",
        "technical",
        "en",
        ["api", "webhooks", "integration"],
        "Webhooks send an HTTP POST to your endpoint when something happens. Add an endpoint under **Settings → "
        "Webhooks**, choose the events, and verify each request with the signing secret shown once.",
    ),
    (
        "API rate limits",
        "technical",
        "en",
        ["api", "limits"],
        "The REST API allows 600 requests per minute per token. Responses carry `X-RateLimit-Remaining`; "
        "when you get **429 Too Many Requests**, wait for the number of seconds in `Retry-After`.",
    ),
    (
        "Troubleshoot email delivery",
        "technical",
        "en",
        ["email", "dkim", "spam"],
        "If our notifications land in spam, add the DKIM and SPF records from **Settings → Email → Domain** to your DNS. "
        "Changes can take up to 24 hours to propagate.",
    ),
    (
        "Connect single sign-on (SAML)",
        "technical",
        "en",
        ["sso", "saml", "sign-in"],
        "Business plans support SAML single sign-on with Okta, Azure AD and Google. Download our metadata from "
        "**Settings → Security → SSO**, create the app in your identity provider, then upload its metadata here.",
    ),
    (
        "Import tickets from another helpdesk",
        "technical",
        "en",
        ["import", "migration"],
        "We import tickets, conversations and attachments from Zendesk, Freshdesk and Zammad. Start from "
        "**Settings → Data → Import**; a test import of 100 tickets lets you check the mapping first.",
    ),
    (
        "Contact support by phone",
        "general",
        "en",
        ["phone", "contact"],
        "Phone support is available on Business plans on weekdays from 9:00 to 18:00 CET. "
        "Everyone can reach us any time through the contact form; urgent issues are answered within an hour.",
    ),
    (
        "Our service status page",
        "general",
        "en",
        ["status", "outage"],
        "Live service status and past incidents are on our status page. Subscribe there to get an email when an incident "
        "starts and when it is resolved.",
    ),
    (
        "Как сменить пароль",
        "account",
        "ru",
        ["пароль", "вход"],
        "Откройте **Профиль → Безопасность** и нажмите **Сменить пароль**. Введите текущий пароль и новый пароль дважды. "
        "Новый пароль должен содержать не менее десяти символов.",
    ),
    (
        "Восстановление доступа к аккаунту",
        "account",
        "ru",
        ["пароль", "вход", "восстановление"],
        "Если вы забыли пароль, нажмите **Забыли пароль?** на странице входа и укажите адрес электронной почты. "
        "Мы отправим ссылку для сброса пароля, она действует один час.",
    ),
    (
        "Двухфакторная аутентификация",
        "account",
        "ru",
        ["безопасность", "2fa"],
        "Двухфакторная аутентификация защищает аккаунт кодом из приложения на телефоне. Включите её в разделе "
        "**Профиль → Безопасность** и сохраните резервные коды.",
    ),
    (
        "Как получить счёт",
        "billing",
        "ru",
        ["счёт", "оплата"],
        "Все счета находятся в разделе **Оплата → Счета**. Нажмите на счёт, чтобы скачать его в формате PDF.",
    ),
    (
        "Возврат средств",
        "billing",
        "ru",
        ["возврат", "оплата"],
        "Годовую подписку можно вернуть в течение 30 дней после покупки. Напишите в поддержку и укажите номер счёта; "
        "деньги вернутся на карту за 5–10 рабочих дней.",
    ),
    (
        "Смена способа оплаты",
        "billing",
        "ru",
        ["карта", "оплата"],
        "Откройте **Оплата → Способ оплаты** и нажмите **Заменить карту**. Новая карта будет использоваться со следующего "
        "счёта.",
    ),
    (
        "Экспорт данных в CSV",
        "technical",
        "ru",
        ["экспорт", "csv"],
        "Откройте **Настройки → Данные → Экспорт**, выберите формат CSV и нужные записи. Большие выгрузки готовятся в фоне, "
        "ссылку на файл мы пришлём на почту.",
    ),
    (
        "Настройка вебхуков",
        "technical",
        "ru",
        ["api", "вебхуки"],
        "Вебхуки отправляют HTTP-запрос POST на ваш адрес при событиях в системе. Добавьте адрес в разделе "
        "**Настройки → Вебхуки** и проверяйте подпись каждого запроса.",
    ),
    (
        "Письма попадают в спам",
        "technical",
        "ru",
        ["почта", "спам"],
        "Если наши уведомления попадают в спам, добавьте записи DKIM и SPF из раздела **Настройки → Почта** в DNS вашего "
        "домена. Изменения вступают в силу в течение суток.",
    ),
    (
        "Как связаться с поддержкой",
        "general",
        "ru",
        ["поддержка", "контакты"],
        "Напишите нам через форму обращения — мы отвечаем на срочные вопросы в течение часа. Телефонная поддержка доступна "
        "на тарифе Business по будням с 9:00 до 18:00 по центральноевропейскому времени.",
    ),
    (
        "Draft: new pricing explained",
        "billing",
        "en",
        ["pricing"],
        "This draft explains the pricing that starts next quarter. It is not published yet.",
    ),
    (
        "Archived: legacy desktop app",
        "technical",
        "en",
        ["desktop"],
        "The legacy desktop app is no longer supported; use the web app or the mobile apps instead.",
    ),
]

DEMO_STATUS = {"Draft: new pricing explained": "draft", "Archived: legacy desktop app": "archived"}

# question, answer (Markdown), category, priority (higher first)
DEMO_FAQS: list[tuple[str, str, str, int]] = [
    (
        "How fast do you answer?",
        "Urgent requests within an hour, high within four business hours, others within a business day.",
        "general",
        100,
    ),
    (
        "Where do I find my ticket?",
        "Every confirmation email holds a private link to your request. Lost it? Use [Find your requests](/portal/tickets/lookup).",
        "general",
        90,
    ),
    (
        "Can I attach screenshots?",
        "Yes: up to five files per message, images, PDF, text, CSV, ZIP or Office documents.",
        "general",
        50,
    ),
    (
        "Which payment methods do you accept?",
        "Credit and debit cards (Visa, Mastercard, American Express) and bank transfer for annual plans.",
        "billing",
        80,
    ),
    (
        "Can I get a refund?",
        "Annual plans within 30 days of purchase. See [Request a refund](/kb/request-a-refund).",
        "billing",
        70,
    ),
    (
        "Do invoices include VAT?",
        "Yes, for customers in the EU without a VAT number. Add yours under Billing → Company details.",
        "billing",
        60,
    ),
    (
        "I forgot my password",
        "Use **Forgot password?** on the sign-in page; the link works for one hour.",
        "account",
        100,
    ),
    (
        "How do I turn on two-factor login?",
        "Profile → Security → Two-factor login. Keep your recovery codes safe.",
        "account",
        80,
    ),
    (
        "Can several people share one account?",
        "Each person needs their own seat; invite colleagues from Settings → Users.",
        "account",
        40,
    ),
    (
        "Is there an API?",
        "Yes, a REST API with token authentication; the reference is at [/api/docs/](/api/docs/).",
        "technical",
        90,
    ),
    ("Do you support single sign-on?", "SAML single sign-on is included in the Business plan.", "technical", 60),
    (
        "Can I import from Zendesk?",
        "Yes, tickets, conversations and attachments; start a test import first.",
        "technical",
        50,
    ),
    # For Russian-speaking visitors (shown to them first: knowledge.views.faq_list).
    (
        "Как быстро вы отвечаете?",
        "На срочные обращения — в течение часа, на важные — за четыре рабочих часа, на остальные — за рабочий день.",
        "general",
        100,
    ),
    (
        "Где найти моё обращение?",
        "В каждом письме-подтверждении есть личная ссылка на ваше обращение. Потеряли её? "
        "[Получите ссылки по почте](/portal/tickets/lookup).",
        "general",
        90,
    ),
    (
        "Как сменить карту для оплаты?",
        "Откройте «Оплата» → «Способы оплаты», добавьте новую карту и сделайте её основной.",
        "billing",
        80,
    ),
]
