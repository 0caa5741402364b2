"""The write path of messaging, one module per concern.

- `outbound`: queue a text, interactive or template message (API, bot, reminders, confirmations);
- `delivery`: the send task's work: claim, send through the backend, retry or fail;
- `webhooks`: store a verified webhook body and enqueue its processing;
- `jobs`: enqueue messaging's tasks by name (services never import the tasks module);
- `ingest`: process a stored webhook: route, upsert customer and conversation, store, statuses;
- `statuses`: apply delivery statuses monotonically, keep the early ones until their wamid exists;
- `conversations`: pause and resume the bot, conversations for customers, templates;
- `confirmations`, `reminders`: the booking messages, through `outbound`;
- `routing`: phone_number_id → salon, memoised per process;
- `recovery`: find work a lost task left behind.
"""
