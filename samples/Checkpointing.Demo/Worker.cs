namespace Checkpointing.Demo;

/// <summary>One run of the pipeline in this process: resume the card, keep it if it completed, else start it afresh.</summary>
internal static class Worker
{
    public static async Task<int> RunAsync(DemoOptions options)
    {
        var output = new WorkerOutput(options.Events);
        var client = new FakeLlmClient();
        var crash = options.CrashInStage is { } stage ? new CrashPlan(stage, options.CrashAfterCalls) : null;

        // The manager owns the card (an OS lock) until it is disposed or this process dies.
        await using var manager = new CheckpointManager(
            options.CardId, new CheckpointManagerOptions { CheckpointDirectory = options.Directory });
        var checkpoint = await manager.ResumeOrCreateAsync(
            DemoPipeline.Stages.Count,
            new Dictionary<string, object?> { ["repository"] = "acme/shop", ["branch"] = "feature/checkout", ["model"] = client.Model });
        var onRecord = checkpoint.StageCheckpoints.Values.Sum(s => s.LlmResponses.Count) + checkpoint.PendingLlmResponses.Values.Sum(r => r.Count);
        if (checkpoint.Status == CheckpointStatus.Completed)
        {
            output.Line($"{manager.CardId} already completed ({checkpoint.StagesCompleted}/{checkpoint.TotalStages} stages, {onRecord} paid LLM "
                + "answers on record): the run is kept as it is, so nothing runs again and nothing is paid again");
        }
        else if (checkpoint.ResumeCount > 0)
        {
            output.Line($"resumed {manager.CardId} (resume #{checkpoint.ResumeCount}): {checkpoint.StagesCompleted}/{checkpoint.TotalStages} stages "
                + $"completed, {onRecord} paid LLM answers on record, next stage: {manager.GetNextStage([.. DemoPipeline.Stages.Select(s => s.Name)])}");
        }
        else
        {
            output.Line($"new checkpoint for {manager.CardId}: {DemoPipeline.Stages.Count} stages");
        }

        await new DemoPipeline(manager, client, output, crash).RunAsync();
        await manager.MarkCompletedAsync();   // nothing to do when the run was already completed
        var cost = manager.GetCostReport();
        output.Line($"pipeline completed; this process paid for {client.PaidCalls} LLM calls");
        output.Line(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"cost of the run: {cost.Total.Calls} answers, {cost.Total.TotalTokens} tokens, {cost.Total.CostByCurrency.GetValueOrDefault("USD"):0.0000} USD; "
            + $"saved by the cache on resume: {cost.SavedByCache.Calls} calls, {cost.SavedByCache.CostByCurrency.GetValueOrDefault("USD"):0.0000} USD"));
        return 0;
    }
}
