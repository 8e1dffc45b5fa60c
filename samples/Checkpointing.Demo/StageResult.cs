namespace Checkpointing.Demo;

/// <summary>What a stage hands to the next one; stored as the stage's result and read back after a resume.</summary>
internal sealed record StageResult(string Summary, int LlmAnswers);
