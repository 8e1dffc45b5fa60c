namespace Checkpointing;

/// <summary>LLM usage of one stage.</summary>
/// <param name="StageName">The stage.</param>
/// <param name="Usage">Usage of the responses in the stage's record and of its write-ahead responses.</param>
/// <param name="SavedByCache">Usage of calls the stage answered from the cache.</param>
public sealed record StageCost(string StageName, LlmUsageTotals Usage, LlmUsageTotals SavedByCache);
