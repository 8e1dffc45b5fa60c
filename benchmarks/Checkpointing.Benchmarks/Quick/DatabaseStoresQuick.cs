using System.Diagnostics;
using System.Globalization;
using Checkpointing.Benchmarks.Support;
using Checkpointing.PostgreSql;
using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Sqlite;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (f): the database stores beside the file store, all through <c>new CheckpointManager(cardId, repository)</c>. For each
/// store: a long run whose first 999 stages are written straight to the repository (quick), then resumed by a manager
/// that saves stages 1000, 1001, ...; each of its saves is followed by a save on a short run that cycles through stages
/// 1 to 19 (a fresh card each cycle), so saves at stages 10-19 and 1000+ are sampled side by side. Then write-ahead
/// caching of one ~6 KB response on a run with 10 cached responses and on the long run (10,000+ cached), alternating.
/// Last, PostgreSQL claim throughput: workers, each with its own repository and worker id, claiming and at once
/// releasing cards among <see cref="ClaimCards"/> resumable ones.
/// </summary>
internal static class DatabaseStoresQuick
{
    private const int EarlyStage = 10;
    private const int LateStage = 1000;
    private const string PendingStage = "stage-pending";
    private const int ClaimCards = 400;
    private const int ClaimWorkers = 4;
    private const int ClaimsPerRound = 2000;

    public static async Task RunAsync(string root, int iterations, Report report)
    {
        Report.Section($"(f) database stores through CheckpointManager: stage save at stages {EarlyStage}-{(2 * EarlyStage) - 1} vs {LateStage}+, cache write at 10 vs 10,000+ cached, vs the file store");
        var server = await PostgresServer.GetAsync();
        Report.Line($"PostgreSQL: {server.Description}");
        if (server.Description.StartsWith("throwaway", StringComparison.Ordinal))
        {
            Report.Line("(the throwaway cluster runs with fsync=off, synchronous_commit=off: its commits are not durable, the file store's and SQLite's are)");
        }

        var file = await MeasureAsync(
            "file", new FileSystemCheckpointRepository(Directory.CreateDirectory(Path.Combine(root, "stores-file")).FullName), iterations);
        var sqlite = await MeasureAsync(
            "SQLite", new SqliteCheckpointRepository(Path.Combine(Directory.CreateDirectory(Path.Combine(root, "stores-sqlite")).FullName, "checkpoints.db")), iterations);
        var postgres = await MeasureAsync(
            "PostgreSQL",
            new PostgreSqlCheckpointRepository(server.DataSource, new PostgreSqlCheckpointRepositoryOptions { Schema = PostgresServer.NewSchema("bench"), WorkerId = "bench" }),
            iterations);

        foreach (var store in new[] { sqlite, postgres })
        {
            report.AtMost($"{store.Name}: median save at stages {LateStage}+ / at {EarlyStage}+", store.Late.Median / store.Early.Median, 1.5);
            report.AtMost($"{store.Name}: median cache write, 10,000+ / 10 cached", store.CacheLarge.Median / store.CacheSmall.Median, 1.5);
        }

        Report.Section("(f) each store's median stage save / the file store's, same run (report only)");
        foreach (var store in new[] { sqlite, postgres })
        {
            Report.Line(string.Create(
                CultureInfo.InvariantCulture,
                $"{store.Name}: {store.Early.Median / file.Early.Median:F2}x at stages {EarlyStage}+, {store.Late.Median / file.Late.Median:F2}x at stages {LateStage}+"));
        }

        await ClaimThroughputAsync(server);
    }

    private static async Task<StoreResult> MeasureAsync(string name, ICheckpointRepository repository, int iterations)
    {
        var result = new StoreResult(name);
        try
        {
            var started = Stopwatch.GetTimestamp();
            await WriteHistoryAsync(repository, Workload.CardId, LateStage - 1, 2 * LateStage);
            var built = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            await using var longRun = new CheckpointManager(Workload.CardId, repository);
            await longRun.ResumeAsync();
            var longStage = LateStage - 1;
            CheckpointManager? shortRun = null;
            var shortStage = 0;
            var shortRuns = 0;
            try
            {
                while (result.Late.Count < iterations || result.Early.Count < iterations)
                {
                    longStage++;
                    await result.Late.TimeAsync(() => SaveStageAsync(longRun, longStage));
                    while (true)
                    {
                        if (shortRun is null || shortStage == (2 * EarlyStage) - 1)
                        {
                            if (shortRun is not null)
                            {
                                await shortRun.DisposeAsync();
                            }

                            shortRun = new CheckpointManager($"BENCH-S{++shortRuns}", repository);
                            await shortRun.CreateCheckpointAsync(totalStages: 2 * EarlyStage);
                            shortStage = 0;
                        }

                        shortStage++;
                        if (shortStage < EarlyStage)
                        {
                            await SaveStageAsync(shortRun, shortStage);
                            continue;
                        }

                        await result.Early.TimeAsync(() => SaveStageAsync(shortRun, shortStage));
                        break;
                    }
                }
            }
            finally
            {
                if (shortRun is not null)
                {
                    await shortRun.DisposeAsync();
                }
            }

            await using (var small = new CheckpointManager("BENCH-C", repository))
            {
                await small.CreateCheckpointAsync(totalStages: 2);
                await SaveStageAsync(small, 1);
                for (var i = 0; i < 10; i++)
                {
                    await small.CacheLlmResponseAsync(PendingStage, Workload.Response(900_000 + i, 0)); // warm-up
                }

                for (var i = 0; i < iterations; i++)
                {
                    var smallResponse = Workload.Response(100_000 + i, 0);
                    await result.CacheSmall.TimeAsync(() => small.CacheLlmResponseAsync(PendingStage, smallResponse));
                    var largeResponse = Workload.Response(200_000 + i, 0);
                    await result.CacheLarge.TimeAsync(() => longRun.CacheLlmResponseAsync(PendingStage, largeResponse));
                }
            }

            Report.Line($"{name}: history of {LateStage - 1} stages written in {Report.Ms(built)}");
            Report.Line($"{name}: stages {EarlyStage}-{(2 * EarlyStage) - 1} of {shortRuns} short runs: {result.Early}");
            Report.Line($"{name}: stages {LateStage}-{longStage} of the long run:  {result.Late}");
            Report.Line($"{name}: cache write, 10 cached:      {result.CacheSmall}");
            Report.Line($"{name}: cache write, 10,000+ cached: {result.CacheLarge}");
            return result;
        }
        finally
        {
            switch (repository)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    private static Task SaveStageAsync(CheckpointManager manager, int stage) =>
        manager.SaveStageCheckpointAsync(Workload.StageName(stage), StageStatus.Completed, llmResponses: Workload.StageResponses(stage));

    /// <summary>Stores <paramref name="stages"/> completed stages for <paramref name="cardId"/> straight through the repository, no manager.</summary>
    private static async Task WriteHistoryAsync(ICheckpointRepository repository, string cardId, int stages, int totalStages)
    {
        var ownership = await repository.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        await using (ownership)
        {
            await History.AppendStagesAsync(repository, cardId, stages, totalStages);
        }
    }

    private static async Task ClaimThroughputAsync(PostgresServer server)
    {
        Report.Section($"(f) PostgreSQL ClaimNextResumableAsync throughput over {ClaimCards} resumable cards, each claim released at once (report only)");
        var schema = PostgresServer.NewSchema("bench_claims");
        var options = (string worker) => new PostgreSqlCheckpointRepositoryOptions { Schema = schema, WorkerId = worker };
        await using (var setup = new PostgreSqlCheckpointRepository(server.DataSource, options("setup")))
        {
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < ClaimCards; i++)
            {
                await setup.SaveAsync(new PipelineCheckpoint
                {
                    CheckpointId = string.Create(CultureInfo.InvariantCulture, $"checkpoint-claim-{i}"),
                    CardId = string.Create(CultureInfo.InvariantCulture, $"CLAIM-{i:D4}"),
                    CreatedAt = now,
                    UpdatedAt = now,
                    TotalStages = 3,
                    Version = 1,
                });
            }
        }

        foreach (var workers in new[] { 1, ClaimWorkers })
        {
            var repositories = Enumerable.Range(0, workers)
                .Select(w => new PostgreSqlCheckpointRepository(server.DataSource, options(WorkerId(w))))
                .ToArray();
            try
            {
                await ClaimRoundAsync(repositories, 10 * workers); // warm-up: connections, prepared plans
                var (elapsed, claimed, empty) = await ClaimRoundAsync(repositories, ClaimsPerRound);
                Report.Line(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{workers} worker(s): {claimed} claims in {Report.Ms(elapsed)} = {claimed / (elapsed / 1000):F0} claims/s ({empty} found nothing to claim)"));
            }
            finally
            {
                foreach (var repository in repositories)
                {
                    await repository.DisposeAsync();
                }
            }
        }
    }

    private static async Task<(double Milliseconds, int Claimed, int Empty)> ClaimRoundAsync(PostgreSqlCheckpointRepository[] repositories, int claims)
    {
        var counter = new ClaimCounter(claims);
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(repositories.Select((repository, w) => Task.Run(async () =>
        {
            while (counter.TryTake())
            {
                var claim = await repository.ClaimNextResumableAsync(WorkerId(w), TimeSpan.FromSeconds(30));
                if (claim is null)
                {
                    counter.Missed();
                    continue;
                }

                await claim.DisposeAsync();
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return (elapsed, claims - counter.Empty, counter.Empty);
    }

    private static string WorkerId(int worker) => string.Create(CultureInfo.InvariantCulture, $"worker-{worker}");

    private sealed class ClaimCounter(int claims)
    {
        private int _remaining = claims;
        private int _empty;

        public int Empty => Volatile.Read(ref _empty);

        public bool TryTake() => Interlocked.Decrement(ref _remaining) >= 0;

        public void Missed() => Interlocked.Increment(ref _empty);
    }

    private sealed class StoreResult(string name)
    {
        public string Name { get; } = name;

        public Samples Early { get; } = new();

        public Samples Late { get; } = new();

        public Samples CacheSmall { get; } = new();

        public Samples CacheLarge { get; } = new();
    }
}
