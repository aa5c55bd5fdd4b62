"""The agent: LangGraph graph, prompts, models, chat memory, approvals and the offline model."""
