using Checkpointing.Pipeline;

namespace Checkpointing;

/// <summary>What a run's LLM calls cost, per stage and in total, and what resumes saved by reusing cached responses.</summary>
/// <param name="Stages">Usage per stage, in pipeline order.</param>
/// <param name="Total">Usage of every response recorded for the run.</param>
/// <param name="SavedByCache">Usage of calls answered from the cache instead of paid again (recorded by <see cref="CheckpointManager.RunStageAsync{T}"/>).</param>
public sealed record CostReport(IReadOnlyList<StageCost> Stages, LlmUsageTotals Total, LlmUsageTotals SavedByCache)
{
    /// <summary>Sums the LLM usage of a run per stage, and what cache hits saved, as <see cref="CheckpointManager.GetCostReport"/> does for the open run.</summary>
    /// <param name="checkpoint">The run, for example as loaded from a store without ownership.</param>
    /// <returns>The report.</returns>
    /// <exception cref="CheckpointCorruptedException">The stored usage sums past what the totals can hold.</exception>
    public static CostReport For(PipelineCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return CostReports.Of(checkpoint);
    }

    /// <summary>Describes the report on several lines: the total, what the cache saved, then each stage.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        string.Join(
            Environment.NewLine,
            new[] { $"total: {Total}", $"saved by cache: {SavedByCache}" }.Concat(Stages.Select(stage => $"  {stage}")));
}
