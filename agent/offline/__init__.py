"""The offline model: NLU + dialogue state + planner + answer composer, behind a LangChain chat-model interface."""
