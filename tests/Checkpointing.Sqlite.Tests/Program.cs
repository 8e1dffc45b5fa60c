using System.Globalization;
using Checkpointing.Testing;
using Checkpointing.Tests.Support;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of a crash test
/// (<c>dotnet Checkpointing.Sqlite.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ChildProcessMain.RunAsync(args, Find);

    private static Task<int>? Find(string scenario, string[] args) => (scenario, args) switch
    {
        ("hold", [var database, var cardId, var leaseMs]) => HoldAsync(database, cardId, TimeSpan.FromMilliseconds(int.Parse(leaseMs, CultureInfo.InvariantCulture))),
        ("write", [var database, var cardId, var writer, var updates]) => WriteAsync(database, cardId, writer, int.Parse(updates, CultureInfo.InvariantCulture)),
        ("fold-loop", [var database, var cardId]) => FoldLoopAsync(database, cardId),
        _ => null,
    };

    /// <summary>Takes ownership of a card, stores a checkpoint and a change, says "ready", and waits to be killed.</summary>
    private static async Task<int> HoldAsync(string database, string cardId, TimeSpan lease)
    {
        var repository = new SqliteCheckpointRepository(database, new SqliteCheckpointRepositoryOptions { LeaseDuration = lease });
        await repository.AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(30));
        var checkpoint = CheckpointSamples.Checkpoint(cardId);
        await repository.SaveAsync(checkpoint);
        var change = new CurrentStageSet(2, CheckpointSamples.At(99), "written by the child");
        await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));
        Console.WriteLine("ready");
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    /// <summary>Appends <paramref name="updates"/> write-ahead responses to a card, retrying on conflicts and lock refusals.</summary>
    private static async Task<int> WriteAsync(string database, string cardId, string writer, int updates)
    {
        await using var repository = new SqliteCheckpointRepository(database);
        var refusals = 0;
        for (var u = 0; u < updates; u++)
        {
            while (true)
            {
                var current = (await repository.LoadAsync(cardId))!;
                var change = new LlmResponseCached(current.Version + 1, CheckpointSamples.At(u), writer, new LlmResponse($"{writer} update {u}", "ok"));
                try
                {
                    await repository.SaveChangeAsync(new AppliedChange(current, change));
                    break;
                }
                catch (Exception ex) when (ex is CheckpointConflictException or CheckpointLockedException)
                {
                    refusals++;
                }
            }
        }

        Console.WriteLine($"refusals {refusals}");
        return 0;
    }

    /// <summary>What the fold-loop child prints when its fold starts deleting the document its switch replaced (then it pauses 20-40 ms).</summary>
    public const string FoldDeletingLine = "fold-deleting";

    /// <summary>What the fold-loop child prints when a fold ends.</summary>
    public const string FoldIdleLine = "fold-idle";

    /// <summary>
    /// Takes the card, then caches LLM responses as fast as it can, printing "saved VERSION" after each returned save, until
    /// it is killed. Its store folds the change rows whenever they pass 8 KB, in 4 KB chunks, so folds run almost all the time.
    /// When a fold starts deleting the document its switch replaced it prints <see cref="FoldDeletingLine"/> and pauses
    /// (so that a kill can aim there), and <see cref="FoldIdleLine"/> when the fold ends.
    /// </summary>
    private static async Task<int> FoldLoopAsync(string database, string cardId)
    {
        var options = new SqliteCheckpointRepositoryOptions
        {
            CompactionBytesOverride = 8 * 1024,
            FoldChunkBytes = 4 * 1024,
            BackgroundActivity = (work, phase) =>
            {
                if (work == "fold" && phase == "deleting the old document")
                {
                    Console.WriteLine(FoldDeletingLine);
                    Thread.Sleep(Random.Shared.Next(20, 41)); // the fold's background thread, in a test child
                }
                else if (work == "fold" && phase == "idle")
                {
                    Console.WriteLine(FoldIdleLine);
                }
            },
        };
        await using var repository = new SqliteCheckpointRepository(database, options);
        await using var ownership = await repository.AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(60));
        var checkpoint = await repository.LoadAsync(cardId);
        if (checkpoint is null)
        {
            checkpoint = CheckpointSamples.Minimal(cardId);
            await repository.SaveAsync(checkpoint);
        }

        Console.WriteLine($"open {checkpoint.Version}");
        var answer = new string('a', 1024);
        while (true)
        {
            var version = checkpoint.Version + 1;
            var applied = new AppliedChange(
                checkpoint,
                new LlmResponseCached(version, CheckpointSamples.At(1), "stage", CheckpointSamples.Response(FoldLoopPrompt(version), answer)));
            await repository.SaveChangeAsync(applied);
            checkpoint = applied.Checkpoint;
            Console.WriteLine($"saved {version}");
        }
    }

    /// <summary>The prompt the fold-loop child caches at a version.</summary>
    public static string FoldLoopPrompt(long version) => string.Create(CultureInfo.InvariantCulture, $"prompt {version}");
}
