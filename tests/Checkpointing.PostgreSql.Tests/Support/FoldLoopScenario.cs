using System.Diagnostics;
using System.Globalization;
using Checkpointing.Testing;
using Checkpointing.Tests.Support;
using Npgsql;

namespace Checkpointing.PostgreSql.Tests.Support;

/// <summary>
/// The child of the fold kill test: takes the card, then caches LLM responses as fast as it can, printing
/// <c>saved VERSION</c> after each returned save, until it is killed. Its store folds the change rows whenever they pass
/// 8 KB, writes each new document in <see cref="ChunkBytes"/> chunks (printing <c>fold-chunk</c> after each) and waits up
/// to 20 ms between its last chunk and its switch (printing <c>fold-written</c> first), so that most kills land while a
/// fold is under way, between two chunks or before the switch.
/// </summary>
public static class FoldLoopScenario
{
    /// <summary>The size of the chunks the child's folds write (small, so a fold has many).</summary>
    public const int ChunkBytes = 8 * 1024;

    /// <summary>The line the child prints after each chunk a fold wrote.</summary>
    public const string ChunkLine = "fold-chunk";

    /// <summary>The line the child prints once a fold wrote its last chunk, before it switches.</summary>
    public const string WrittenLine = "fold-written";

    private static readonly TimeSpan SafetyLimit = TimeSpan.FromMinutes(3);

    /// <summary>The prompt the child caches at a version.</summary>
    public static string Prompt(long version) => string.Create(CultureInfo.InvariantCulture, $"prompt {version}");

    public static async Task<int> RunAsync(string connectionString, string schema, string cardId)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (dataSource)
        {
            var options = new PostgreSqlCheckpointRepositoryOptions
            {
                Schema = schema,
                FoldThresholdOverride = 8 * 1024,
                FoldChunkBytes = ChunkBytes,
                AfterFoldChunk = (_, _, cancellationToken) =>
                {
                    // A short pause after each chunk, which the test's kills aim at: between two chunks of a fold.
                    Console.WriteLine(ChunkLine);
                    return Task.Delay(Random.Shared.Next(5, 21), cancellationToken);
                },
                AfterFoldDocumentWritten = (_, cancellationToken) =>
                {
                    Console.WriteLine(WrittenLine);
                    return Task.Delay(Random.Shared.Next(0, 21), cancellationToken);
                },
            };
            var repository = new PostgreSqlCheckpointRepository(dataSource, options);
            await using (repository)
            {
                await using var ownership = await repository.AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(60));
                var checkpoint = await repository.LoadAsync(cardId);
                if (checkpoint is null)
                {
                    checkpoint = CheckpointSamples.Minimal(cardId);
                    await repository.SaveAsync(checkpoint);
                }

                Console.WriteLine($"open {checkpoint.Version}");
                var answer = new string('a', 1024);
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < SafetyLimit)
                {
                    var version = checkpoint.Version + 1;
                    var applied = new AppliedChange(
                        checkpoint, new LlmResponseCached(version, CheckpointSamples.At(1), "stage", CheckpointSamples.Response(Prompt(version), answer)));
                    await repository.SaveChangeAsync(applied);
                    checkpoint = applied.Checkpoint;
                    Console.WriteLine($"saved {version}");
                }

                Console.WriteLine("gave-up");
                return ChildProcessMain.Failed;
            }
        }
    }
}
