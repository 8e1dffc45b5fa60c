namespace Checkpointing;

/// <summary>What a run's LLM calls cost, per stage and in total, and what resumes saved by reusing cached responses.</summary>
/// <param name="Stages">Usage per stage, in pipeline order.</param>
/// <param name="Total">Usage of every response recorded for the run.</param>
/// <param name="SavedByCache">Usage of calls answered from the cache instead of paid again (recorded by <see cref="CheckpointManager.RunStageAsync{T}"/>).</param>
public sealed record CostReport(IReadOnlyList<StageCost> Stages, LlmUsageTotals Total, LlmUsageTotals SavedByCache)
{
    /// <summary>Describes the report on several lines: the total, what the cache saved, then each stage.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        string.Join(
            Environment.NewLine,
            new[] { $"total: {Total}", $"saved by cache: {SavedByCache}" }.Concat(Stages.Select(stage => $"  {stage}")));
}
