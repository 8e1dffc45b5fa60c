using Checkpointing.Sqlite;

namespace Checkpointing.Tool.Tests.Support;

/// <summary>
/// The child process that runs a pipeline while the tool reads: it creates the card, says <c>created</c>, waits for a
/// <c>go</c> line on stdin, then records each stage (saying <c>stage N</c>) and completes the run (saying <c>done</c>).
/// </summary>
public static class CardWriter
{
    public static async Task<int> RunAsync(string store, string cardId, int stages)
    {
        ICheckpointRepository repository = store.StartsWith("sqlite:", StringComparison.Ordinal)
            ? new SqliteCheckpointRepository(store["sqlite:".Length..])
            : new FileSystemCheckpointRepository(store["file:".Length..]);
        await using (var manager = new CheckpointManager(cardId, repository))
        {
            var checkpoint = await manager.ResumeOrCreateAsync(stages);
            Console.Out.WriteLine($"created v{checkpoint.Version}");
            if (await Console.In.ReadLineAsync() != "go")
            {
                return 3;
            }

            for (var i = 1; i <= stages; i++)
            {
                await manager.SetCurrentStageAsync($"stage-{i}");
                await manager.CacheLlmResponseAsync($"stage-{i}", new LlmResponse($"prompt {i}", $"answer {i}") { Usage = new LlmUsage(100, 50, 0.01m, "USD") });
                await Task.Delay(TimeSpan.FromMilliseconds(40));   // pace the run so readers see it part-way; nothing measures it
                await manager.SaveStageCheckpointAsync($"stage-{i}", StageStatus.Completed, result: new { index = i });
                Console.Out.WriteLine($"stage {i}");
            }

            await manager.MarkCompletedAsync();
            Console.Out.WriteLine("done");
        }

        if (repository is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        return 0;
    }
}
