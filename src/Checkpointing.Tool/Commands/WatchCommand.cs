using System.CommandLine;
using System.Globalization;
using Checkpointing.Tool.Cli;
using Checkpointing.Tool.Output;
using Checkpointing.Tool.Stores;
using Spectre.Console;

namespace Checkpointing.Tool.Commands;

/// <summary>
/// <c>watch &lt;card&gt;</c>: follows a run as it writes, without ownership, until it completes (exit 0), fails (exit 1),
/// <c>--timeout</c> passes (exit 1) or Ctrl+C (exit 0). A live view on a terminal; one line per change in plain text.
/// </summary>
internal static class WatchCommand
{
    /// <summary>How many reads in a row may fail (a store restarting, say) before watching gives up.</summary>
    private const int FailedReadsAllowed = 5;

    public static Command Create()
    {
        var store = ToolOptions.Store();
        var card = ToolOptions.Card();
        var interval = new Option<string>("--interval") { Description = "How often to read the card (default 1s).", DefaultValueFactory = _ => "1s" };
        var timeout = new Option<string?>("--timeout") { Description = "Give up (exit 1) when the run has not ended after this long (for example 30m)." };
        var command = new Command("watch", "Follow a run live (progress, current stage, elapsed, ETA) until it completes or fails, or Ctrl+C.")
        {
            card, store, interval, timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var every = TimeInput.ParseDuration(parse.GetValue(interval)!, "--interval");
            var limit = parse.GetValue(timeout) is { } t ? TimeInput.ParseDuration(t, "--timeout") : (TimeSpan?)null;
            var cardId = parse.GetValue(card)!;
            await using var opened = OpenStore.Open(StoreSpec.Resolve(parse.GetValue(store)));
            using var timer = limit is { } l ? new CancellationTokenSource(l) : new CancellationTokenSource();
            var watcher = new Watcher(opened, cardId, every < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : every);
            try
            {
                return ToolConsole.IsPlain
                    ? await watcher.RunPlainAsync(cancellationToken, timer.Token).ConfigureAwait(false)
                    : await watcher.RunLiveAsync(cancellationToken, timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                ErrorOutput.Line($"card '{cardId}' has not completed or failed after {Formats.Duration(limit!.Value)}; watching stopped (the run goes on).");
                return ExitCodes.Problem;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success;   // Ctrl+C: the user stopped watching; the run goes on
            }
        });
        return command;
    }

    private sealed class Watcher(OpenStore store, string cardId, TimeSpan interval)
    {
        private int _failedReads;

        public async Task<int> RunPlainAsync(CancellationToken cancelled, CancellationToken timedOut)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(cancelled, timedOut);
            long? shown = null;
            var waitingSaid = false;
            while (true)
            {
                var checkpoint = await ReadAsync(both.Token).ConfigureAwait(false);
                if (checkpoint is null && !waitingSaid)
                {
                    Console.Out.WriteLine($"waiting for card '{cardId}' to appear in {store.Spec.Display}");
                    waitingSaid = true;
                }

                if (checkpoint is not null && checkpoint.Version != shown)
                {
                    shown = checkpoint.Version;
                    Console.Out.WriteLine(Line(checkpoint, DateTimeOffset.UtcNow));
                }

                if (Outcome(checkpoint) is { } exit)
                {
                    return exit;
                }

                await Task.Delay(interval, both.Token).ConfigureAwait(false);
            }
        }

        public async Task<int> RunLiveAsync(CancellationToken cancelled, CancellationToken timedOut)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(cancelled, timedOut);
            var console = ToolConsole.Create();
            return await console.Live(new Text($"waiting for card '{cardId}' to appear in {store.Spec.Display}"))
                .AutoClear(false)
                .StartAsync(async context =>
                {
                    while (true)
                    {
                        var checkpoint = await ReadAsync(both.Token).ConfigureAwait(false);
                        if (checkpoint is not null)
                        {
                            context.UpdateTarget(new Rows(ShowView.Build(checkpoint, DateTimeOffset.UtcNow, plain: false), new Text(Line(checkpoint, DateTimeOffset.UtcNow))));
                            context.Refresh();
                        }

                        if (Outcome(checkpoint) is { } exit)
                        {
                            return exit;
                        }

                        await Task.Delay(interval, both.Token).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
        }

        private static string Line(PipelineCheckpoint checkpoint, DateTimeOffset now)
        {
            var summary = CardSummary.Of(checkpoint, 0);
            return string.Create(
                CultureInfo.InvariantCulture,
                $"{now:HH:mm:ss} {checkpoint.CardId} v{checkpoint.Version} {Formats.Status(checkpoint.Status)} "
                + $"{ProgressBar.Text(summary.Fraction, 20)} {summary.Completed}/{summary.Total} "
                + $"current: {Formats.CurrentStage(checkpoint)} elapsed: {Formats.Duration(ShowView.WallTime(checkpoint, now))} "
                + $"eta: {Formats.Eta(checkpoint)}");
        }

        private static int? Outcome(PipelineCheckpoint? checkpoint)
        {
            switch (checkpoint?.Status)
            {
                case CheckpointStatus.Completed:
                    return ExitCodes.Success;
                case CheckpointStatus.Failed:
                    ErrorOutput.Line($"the run of card '{checkpoint.CardId}' failed: {ShowView.FailureReason(checkpoint) ?? "no reason recorded"}. See 'checkpointing show {checkpoint.CardId}'.");
                    return ExitCodes.Problem;
                default:
                    return null;
            }
        }

        private async Task<PipelineCheckpoint?> ReadAsync(CancellationToken cancellationToken)
        {
            try
            {
                var checkpoint = await store.Repository.LoadAsync(cardId, cancellationToken).ConfigureAwait(false);
                _failedReads = 0;
                return checkpoint;
            }
            catch (CheckpointException) when (++_failedReads < FailedReadsAllowed)
            {
                return null;   // read again at the next tick; damage on disk fails every read and is reported below
            }
        }
    }
}
