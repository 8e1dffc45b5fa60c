using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Checkpointing.WorkerService;

/// <summary>
/// Claims each configured card in turn and runs its three stages through an <see cref="IChatClient"/> built with
/// <c>UseCheckpointing()</c>: every answer is paid once and written ahead. Ctrl+C cancels the running stage, which
/// records nothing; the next start resumes at that stage and gets the answers already paid for from the checkpoint.
/// </summary>
public sealed partial class PipelineWorker(
    ICheckpointManagerFactory managers, IChatClient chat, IOptions<PipelineSettings> settings, IHostApplicationLifetime lifetime, ILogger<PipelineWorker> logger)
    : BackgroundService
{
    private static readonly string[] Stages = ["requirements", "design", "implementation"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            foreach (var cardId in settings.Value.Cards)
            {
                await RunCardAsync(cardId, stoppingToken);
            }

            LogAllDone(logger, settings.Value.Cards.Count);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogStopping(logger);
        }

        lifetime.StopApplication();
    }

    private async Task RunCardAsync(string cardId, CancellationToken stoppingToken)
    {
        await using var manager = managers.Create(cardId);
        var checkpoint = await manager.ResumeOrCreateAsync(totalStages: Stages.Length, cancellationToken: stoppingToken);
        if (checkpoint.Status == CheckpointStatus.Completed)
        {
            LogAlreadyDone(logger, cardId);   // a finished card is kept as it is, not paid for again
            return;
        }

        var previous = "the card's description";
        foreach (var stage in Stages)
        {
            var input = previous;
            await manager.RunStageAsync(stage, async (_, token) =>
            {
                // Two questions per stage; the middleware finds the running stage by itself (StageContext.Current).
                var options = new ChatOptions { ModelId = "fake-gpt", Temperature = 0 };
                var outline = await chat.GetResponseAsync($"Outline the {stage} of {cardId} from {input}", options, token);
                var detail = await chat.GetResponseAsync($"Detail this {stage} outline: {outline.Text}", options, token);
                return detail.Text;
            }, cancellationToken: stoppingToken);
            previous = $"the {stage} notes";
            LogStageDone(logger, cardId, stage, manager.GetProgress().ProgressPercent);
        }

        await manager.MarkCompletedAsync(stoppingToken);
        LogCardDone(logger, cardId, manager.GetCostReport().ToString());
    }

    [LoggerMessage(1, LogLevel.Information, "{CardId}: {Stage} done ({Percent}% of the card)")]
    private static partial void LogStageDone(ILogger logger, string cardId, string stage, double percent);

    [LoggerMessage(2, LogLevel.Information, "{CardId}: completed. {Cost}")]
    private static partial void LogCardDone(ILogger logger, string cardId, string cost);

    [LoggerMessage(3, LogLevel.Information, "{CardId}: already completed by an earlier run; nothing to pay for")]
    private static partial void LogAlreadyDone(ILogger logger, string cardId);

    [LoggerMessage(4, LogLevel.Information, "All {Count} cards are done; stopping")]
    private static partial void LogAllDone(ILogger logger, int count);

    [LoggerMessage(5, LogLevel.Warning, "Stopping on request: the running stage recorded nothing, and the next start resumes it without paying again for its answers")]
    private static partial void LogStopping(ILogger logger);
}
