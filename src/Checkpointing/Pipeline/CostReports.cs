namespace Checkpointing.Pipeline;

/// <summary>Sums a run's LLM usage per stage and in total, and what cache hits saved.</summary>
internal static class CostReports
{
    /// <summary>Builds the report of a checkpoint.</summary>
    /// <exception cref="CheckpointCorruptedException">The stored usage sums past what the totals can hold.</exception>
    public static CostReport Of(PipelineCheckpoint checkpoint)
    {
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
                var stageSaved = stage is not null && stage.Metadata.TryGetValue(SavedByCache.MetadataKey, out var json)
                    ? SavedByCache.TryRead(json) ?? LlmUsageTotals.Empty
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
}
