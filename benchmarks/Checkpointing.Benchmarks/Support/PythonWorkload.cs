using System.Diagnostics;
using System.Globalization;
using Checkpointing.Benchmarks.Quick;
using Checkpointing.FileStore;

namespace Checkpointing.Benchmarks.Support;

/// <summary>
/// The Python original's own workload, run through a manager on the default file store: create, 1000 stages (each
/// with a small result, 3 artifact paths and 10 LLM responses of a ~2 KB prompt and ~4 KB answer), close; optionally
/// with every answer written ahead (<see cref="CheckpointManager.CacheLlmResponseAsync"/>) before its stage's save.
/// </summary>
internal static class PythonWorkload
{
    /// <summary>The stages of one run.</summary>
    public const int Stages = 1000;

    /// <summary>The Python original's whole run of this workload on this kind of machine (issue 13), not durable.</summary>
    public const double PythonSeconds = 136;

    /// <summary>Runs the workload once in <paramref name="directory"/>, timing every call.</summary>
    /// <param name="directory">An empty directory.</param>
    /// <param name="writeAhead">Whether every answer is written ahead before its stage's save.</param>
    /// <param name="compact">Whether the store compacts (off: the noise floor of saves that never compact).</param>
    /// <param name="stages">The stages of the run (fewer for a warm-up).</param>
    public static async Task<PythonWorkloadRun> RunAsync(string directory, bool writeAhead, bool compact = true, int stages = Stages)
    {
        var result = new PythonWorkloadRun();
        var paths = CardPaths.For(Path.GetFullPath(directory), Workload.CardId);
        var snapshot = new FileInfo(paths.Snapshot);
        var snapshotLength = 0L;
        var options = new FileSystemCheckpointRepositoryOptions { BackgroundActivity = result.Timeline.Enter };
        if (!compact)
        {
            options.MinCompactionBytes = long.MaxValue;
        }

        var repository = new FileSystemCheckpointRepository(directory, options);
        var gcPause = GC.GetTotalPauseDuration();
        var gen2 = GC.CollectionCount(2);
        var start = Stopwatch.GetTimestamp();
        var manager = new CheckpointManager(Workload.CardId, repository, new CheckpointManagerOptions());
        var closing = 0L;
        try
        {
            await manager.CreateCheckpointAsync(stages);
            for (var index = 1; index <= stages; index++)
            {
                var stage = Workload.StageName(index);
                var responses = Workload.StageResponses(index);
                var artifacts = Artifacts(index);
                if (writeAhead)
                {
                    foreach (var response in responses)
                    {
                        var called = CallLog.Start();
                        await manager.CacheLlmResponseAsync(stage, response);
                        result.WriteAheadLog.End(called, index, result.Timeline);
                    }
                }

                var saved = CallLog.Start();
                await manager.SaveStageCheckpointAsync(
                    stage, StageStatus.Completed, new StageResult(index, "ok"), artifacts, writeAhead ? null : responses);
                result.SaveLog.End(saved, index, result.Timeline);

                // A change of the snapshot's length is a compaction that ended (in the background) since the last look.
                snapshot.Refresh();
                if (snapshot.Exists && snapshot.Length != snapshotLength)
                {
                    snapshotLength = snapshot.Length;
                    result.SnapshotRewrites++;
                }
            }

            closing = Stopwatch.GetTimestamp();
        }
        finally
        {
            await manager.DisposeAsync();
        }

        result.CloseMs = Stopwatch.GetElapsedTime(closing).TotalMilliseconds;

        result.TotalSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        result.GcPauseMs = (GC.GetTotalPauseDuration() - gcPause).TotalMilliseconds;
        result.Gen2Collections = GC.CollectionCount(2) - gen2;
        snapshot.Refresh();
        result.FinalSnapshotBytes = snapshot.Length;
        return result;
    }

    private static string[] Artifacts(int index) =>
    [
        string.Create(CultureInfo.InvariantCulture, $"out/stage-{index:D5}/report.md"),
        string.Create(CultureInfo.InvariantCulture, $"out/stage-{index:D5}/diff.patch"),
        string.Create(CultureInfo.InvariantCulture, $"out/stage-{index:D5}/summary.json"),
    ];

    /// <summary>The small result each stage records.</summary>
    private sealed record StageResult(int Index, string Outcome);
}
