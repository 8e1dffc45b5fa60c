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
        var stages = new List<StageCost>();
        var total = LlmUsageTotals.Empty;
        var saved = LlmUsageTotals.Empty;
        var names = checkpoint.StageCheckpoints.Keys.Concat(checkpoint.PendingLlmResponses.Keys.Except(checkpoint.StageCheckpoints.Keys));
        try
        {
            foreach (var name in names)
            {
                checkpoint.StageCheckpoints.TryGetValue(name, out var stage);
                var responses = (stage?.LlmResponses ?? []).Concat(checkpoint.PendingLlmResponses.GetValueOrDefault(name) ?? []);
                var usage = responses.Aggregate(LlmUsageTotals.Empty, static (sum, response) => sum.Add(response));
                var stageSaved = stage is not null && stage.Metadata.TryGetValue(global::Checkpointing.Pipeline.SavedByCache.MetadataKey, out var json)
                    ? global::Checkpointing.Pipeline.SavedByCache.TryRead(json) ?? LlmUsageTotals.Empty
                    : LlmUsageTotals.Empty;
                stages.Add(new StageCost(name, usage, stageSaved));
                total = total.Add(usage);
                saved = saved.Add(stageSaved);
            }
        }
        catch (OverflowException ex)
        {
            throw new CheckpointCorruptedException(
                $"Card '{checkpoint.CardId}': the LLM usage stored for its stages sums past what a cost report holds (tokens past Int64, costs past Decimal); the stored usage is damaged.",
                ex);
        }

        return new CostReport(stages, total, saved);
    }

    /// <summary>Describes the report on several lines: the total, what the cache saved, then each stage.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        string.Join(
            Environment.NewLine,
            new[] { $"total: {Total}", $"saved by cache: {SavedByCache}" }.Concat(Stages.Select(stage => $"  {stage}")));
}
