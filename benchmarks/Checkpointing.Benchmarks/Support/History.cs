using Checkpointing.FileStore;

namespace Checkpointing.Benchmarks.Support;

/// <summary>Writes a long run's history to a directory quickly: the real file store, but no manager and no compaction on the way.</summary>
internal static class History
{
    /// <summary>
    /// Stores a run of <paramref name="stages"/> completed stages of <see cref="Workload"/> for <see cref="Workload.CardId"/>:
    /// each stage appended to the journal as a manager would, then, for <see cref="HistoryLayout.MostlySnapshot"/>, compacted.
    /// </summary>
    /// <returns>The bytes stored (<see cref="StoredBytes"/>).</returns>
    public static async Task<long> WriteAsync(string directory, int stages, HistoryLayout layout)
    {
        var repository = new FileSystemCheckpointRepository(
            directory, new FileSystemCheckpointRepositoryOptions { MinCompactionBytes = long.MaxValue });
        var ownership = await repository.AcquireOwnershipAsync(Workload.CardId, TimeSpan.Zero);
        await using (ownership)
        {
            await AppendStagesAsync(repository, Workload.CardId, stages, stages + 1);

            if (layout == HistoryLayout.MostlySnapshot)
            {
                await repository.CompactAsync(Workload.CardId);
            }
        }

        return StoredBytes(repository.Directory);
    }

    /// <summary>The bytes of <see cref="Workload.CardId"/>'s snapshot and journal records in <paramref name="directory"/>, without the zero-filled space the journal keeps ahead.</summary>
    public static long StoredBytes(string directory)
    {
        var paths = CardPaths.For(Path.GetFullPath(directory), Workload.CardId);
        var journal = File.Exists(paths.Journal) ? File.ReadAllBytes(paths.Journal) : [];
        return new FileInfo(paths.Snapshot).Length + journal.AsSpan().LastIndexOfAnyExcept((byte)0) + 1;
    }

    /// <summary>Stores a new run of <paramref name="stages"/> completed stages of <see cref="Workload"/>, one change each, as a manager would.</summary>
    public static async Task AppendStagesAsync(ICheckpointRepository repository, string cardId, int stages, int totalStages)
    {
        var start = DateTimeOffset.UtcNow;
        var checkpoint = new PipelineCheckpoint
        {
            CheckpointId = "checkpoint-bench",
            CardId = cardId,
            CreatedAt = start,
            UpdatedAt = start,
            TotalStages = totalStages,
            Version = 1,
        };
        await repository.SaveAsync(checkpoint);
        for (var index = 1; index <= stages; index++)
        {
            var stage = new StageCheckpoint
            {
                StageName = Workload.StageName(index),
                Status = StageStatus.Completed,
                StartTime = start.AddSeconds(index),
                EndTime = start.AddSeconds(index + 1),
                Duration = TimeSpan.FromSeconds(1),
                LlmResponses = Workload.StageResponses(index),
            };
            var change = new StageRecorded(checkpoint.Version + 1, start.AddSeconds(index + 1), stage);
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await repository.SaveChangeAsync(applied);
        }
    }
}
