namespace Checkpointing;

/// <summary>LLM usage of one stage.</summary>
/// <param name="StageName">The stage.</param>
/// <param name="Usage">Usage of the responses in the stage's record and of its write-ahead responses.</param>
/// <param name="SavedByCache">Usage of calls the stage answered from the cache.</param>
public sealed record StageCost(string StageName, LlmUsageTotals Usage, LlmUsageTotals SavedByCache)
{
    /// <summary>Describes the stage's usage, for example <c>plan: 2 calls, ... (saved by cache: 1 calls, ...)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        SavedByCache.Calls == 0 ? $"{StageName}: {Usage}" : $"{StageName}: {Usage} (saved by cache: {SavedByCache})";
}
