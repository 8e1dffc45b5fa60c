using Checkpointing.Testing;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of a crash test
/// (<c>dotnet Checkpointing.Sqlite.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["child", "hold", var database, var cardId, var leaseMs]:
                await HoldAsync(database, cardId, TimeSpan.FromMilliseconds(int.Parse(leaseMs, System.Globalization.CultureInfo.InvariantCulture)));
                return 0;
            case ["child", "write", var database, var cardId, var writer, var updates]:
                return await WriteAsync(database, cardId, writer, int.Parse(updates, System.Globalization.CultureInfo.InvariantCulture));
            default:
                await Console.Error.WriteLineAsync("usage: Checkpointing.Sqlite.Tests child hold <database> <card> <leaseMs> | write <database> <card> <writer> <updates>");
                return 2;
        }
    }

    /// <summary>Takes ownership of a card, stores a checkpoint and a change, says "ready", and waits to be killed.</summary>
    private static async Task HoldAsync(string database, string cardId, TimeSpan lease)
    {
        var repository = new SqliteCheckpointRepository(database, new SqliteCheckpointRepositoryOptions { LeaseDuration = lease });
        await repository.AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(30));
        var checkpoint = CheckpointSamples.Checkpoint(cardId);
        await repository.SaveAsync(checkpoint);
        var change = new CurrentStageSet(2, CheckpointSamples.At(99), "written by the child");
        await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));
        Console.WriteLine("ready");
        await Task.Delay(Timeout.Infinite);
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
}
