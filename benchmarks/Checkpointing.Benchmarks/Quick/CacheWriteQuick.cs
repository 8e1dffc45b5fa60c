using System.Diagnostics;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (c): write-ahead caching of one ~6 KB response on a run with 10 cached responses and on one with 10,000 (a restored
/// 1000-stage history), alternating between the two, each call followed by an append + fdatasync of the same record
/// to an open file. Every call adds a response, so the small run ends with 10 + iterations.
/// </summary>
internal static class CacheWriteQuick
{
    private const string PendingStage = "stage-pending";

    public static async Task RunAsync(string root, string largeHistory, int iterations, Report report)
    {
        Report.Section("(c) CacheLlmResponseAsync (one ~6 KB response) with 10 vs 10,000 responses cached; vs append + fdatasync of the same bytes");
        using var floor = new DiskFloor(Directory.CreateDirectory(Path.Combine(root, "floor-cache")).FullName);
        await using var small = await OpenSmallAsync(Path.Combine(root, "cache-small"));
        var largeDirectory = Path.Combine(root, "cache-large");
        ScratchDirectory.CopyFiles(largeHistory, largeDirectory);
        await using var large = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = largeDirectory });
        await large.ResumeAsync();
        Report.Line($"cached before: small run {CachedCount(small)}, large run {CachedCount(large)}");

        await using (var warmUp = await OpenSmallAsync(Path.Combine(root, "cache-warmup")))
        {
            var warmUpRuns = new Runs();
            for (var i = 0; i < iterations; i++)
            {
                await CacheAsync(warmUp, floor, 900_000 + i, warmUpRuns.Small, warmUpRuns.SmallFloor);
            }
        }

        var runs = new Runs();
        for (var i = 0; i < iterations; i++)
        {
            await CacheAsync(small, floor, 100_000 + i, runs.Small, runs.SmallFloor);
            await CacheAsync(large, floor, 200_000 + i, runs.Large, runs.LargeFloor);
        }

        Report.Line($"10 cached:         {runs.Small}");
        Report.Line($"10,000 cached:     {runs.Large}");
        Report.Line($"append floor (10):     {runs.SmallFloor}");
        Report.Line($"append floor (10,000): {runs.LargeFloor}");
        report.AtMost("median cache write at 10,000 cached / at 10", runs.Large.Median / runs.Small.Median, 1.3);
        report.AtMost("median cache write / append + fdatasync, 10 cached", runs.Small.Median / runs.SmallFloor.Median, 2);
        report.AtMost("median cache write / append + fdatasync, 10,000 cached", runs.Large.Median / runs.LargeFloor.Median, 2);
    }

    private static async Task<CheckpointManager> OpenSmallAsync(string directory)
    {
        var manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = directory });
        await manager.CreateCheckpointAsync(totalStages: 2);
        await manager.SaveStageCheckpointAsync(Workload.StageName(1), StageStatus.Completed, llmResponses: Workload.StageResponses(1));
        return manager;
    }

    private static async Task CacheAsync(CheckpointManager manager, DiskFloor floor, int call, Samples saves, Samples floors)
    {
        var response = Workload.Response(call, 0);
        var start = Stopwatch.GetTimestamp();
        await manager.CacheLlmResponseAsync(PendingStage, response);
        saves.AddSince(start);

        var checkpoint = manager.Checkpoint!;
        var record = JournalRecord.Of(new LlmResponseCached(checkpoint.Version, checkpoint.UpdatedAt, PendingStage, response));
        floors.Time(() => floor.Append(record));
    }

    private static int CachedCount(CheckpointManager manager) =>
        manager.Checkpoint!.StageCheckpoints.Values.Sum(stage => stage.LlmResponses.Count)
        + manager.Checkpoint.PendingLlmResponses.Values.Sum(responses => responses.Count);

    private sealed class Runs
    {
        public Samples Small { get; } = new();

        public Samples Large { get; } = new();

        public Samples SmallFloor { get; } = new();

        public Samples LargeFloor { get; } = new();
    }
}
