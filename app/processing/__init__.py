"""Processing of dossiers: workflows, queues, deadlines on the working calendar, supplements."""
