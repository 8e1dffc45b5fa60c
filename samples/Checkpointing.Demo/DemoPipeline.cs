using System.Globalization;

namespace Checkpointing.Demo;

/// <summary>
/// A five-stage pipeline for one card, on the run-once API: <see cref="CheckpointManager.RunStageAsync{T}"/> skips
/// stages an earlier attempt completed (returning their stored results), and every LLM call goes through
/// <see cref="StageContext.GetOrAddLlmResponseAsync"/>, which answers from the checkpoint when it can and otherwise
/// pays once and writes the answer ahead before the pipeline goes on.
/// </summary>
internal sealed class DemoPipeline(CheckpointManager manager, FakeLlmClient client, WorkerOutput output, CrashPlan? crash)
{
    /// <summary>Bump when the prompts change: completed stages with another fingerprint run again.</summary>
    private const string PromptVersion = "prompts-v1";

    public static IReadOnlyList<PipelineStage> Stages { get; } =
    [
        new("requirements", ["Summarize the goal of card {card}", "List the acceptance criteria of card {card}"]),
        new("architecture", ["Propose the components for card {card}", "Choose the data model for card {card}"]),
        new("development", ["Write the API endpoint for card {card}", "Write the storage layer for card {card}", "Write the UI form for card {card}"]),
        new("code_review", ["Review the change for card {card} for bugs", "Review the change for card {card} for security issues"]),
        new("testing", ["Write unit tests for card {card}", "Write an end-to-end test for card {card}", "Summarize the test run for card {card}"]),
    ];

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var context = "nothing yet";
        foreach (var stage in Stages)
        {
            var alreadyDone = manager.Checkpoint!.CompletedStages.Contains(stage.Name);
            var result = await manager.RunStageAsync(
                stage.Name,
                (stageContext, token) => RunStageAsync(stage, context, stageContext, token),
                new StageOptions { Fingerprint = PromptVersion },
                cancellationToken);
            if (alreadyDone)
            {
                output.Stage(stage.Name, "skip", "completed by an earlier attempt; result read from the checkpoint");
                output.Event(WorkerEvents.Skipped, stage.Name);
            }
            else
            {
                ReportDone(stage.Name);
            }

            context = result.Summary; // the next stage's prompts are exactly what they were before the crash
        }
    }

    private async Task<StageResult> RunStageAsync(PipelineStage stage, string context, StageContext stageContext, CancellationToken cancellationToken)
    {
        output.Event(WorkerEvents.Started, stage.Name);
        var paidInStage = 0;
        foreach (var question in stage.PromptsFor(manager.CardId))
        {
            var request = LlmRequest.ForPrompt($"{question} (context: {context})", client.Model) with { Temperature = 0 };
            var paid = false;
            await stageContext.GetOrAddLlmResponseAsync(request, async token =>
            {
                paid = true;
                var (response, took) = await client.CompleteAsync(request.Prompt!, token);
                output.Stage(stage.Name, "paid", string.Create(CultureInfo.InvariantCulture, $"{question,-56} {took.TotalMilliseconds,4:0} ms"));
                return response;
            }, cancellationToken);

            if (paid)
            {
                output.Event(WorkerEvents.Paid, stage.Name);
                paidInStage++;
                crash?.MaybeCrash(stage.Name, paidInStage, output); // the answer is already on disk
            }
            else
            {
                output.Stage(stage.Name, "cache", $"{question,-56} free: answered before the crash");
                output.Event(WorkerEvents.Cached, stage.Name);
            }
        }

        return new StageResult($"{stage.Name} agreed ({stageContext.LlmResponses.Count} LLM answers)", stageContext.LlmResponses.Count);
    }

    private void ReportDone(string stageName)
    {
        var progress = manager.GetProgress();
        output.Stage(stageName, "done", string.Create(
            CultureInfo.InvariantCulture,
            $"progress {progress.ProgressPercent,6:0.00}% ({progress.StagesCompleted}/{progress.TotalStages}), "
            + $"{progress.Elapsed.TotalSeconds:0.0} s in stages so far, about {progress.EstimatedRemaining.TotalSeconds:0.0} s to go"));
        output.Event(WorkerEvents.Completed, stageName);
    }
}
