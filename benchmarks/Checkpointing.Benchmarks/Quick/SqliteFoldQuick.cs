using System.Globalization;
using Checkpointing.Benchmarks.Support;
using Checkpointing.PostgreSql;
using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Sqlite;
using Microsoft.Data.Sqlite;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (i): stage saves through a manager on the SQLite store, then on the PostgreSQL store, while their change rows are
/// folded into new documents in the background (<see cref="Stages"/> stages of <see cref="Workload.ResponsesPerStage"/>
/// ~6 KB responses, so the document reaches tens of MB and is rewritten several times), each beside the same run with
/// folding off: the noise floor of this machine. A save must never wait for a fold: its max / median should be that of
/// the run that never folds.
/// </summary>
internal static class SqliteFoldQuick
{
    private const int Stages = 1000;

    public static async Task RunAsync(string root, Report report)
    {
        Report.Section($"(i) SQLite and PostgreSQL: {Stages} stage saves x {Workload.ResponsesPerStage} responses through a manager, background folds vs never folding");
        var floor = await RunSqliteAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(root, "sqlite-no-folds")).FullName, "checkpoints.db"), fold: false);
        Report.Line($"SQLite, never folding (the noise floor of this machine): {floor}");
        var folding = await RunSqliteAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(root, "sqlite-folds")).FullName, "checkpoints.db"), fold: true);
        Report.Line($"SQLite, folding in the background:                       {folding}");
        Check(report, "SQLite", folding, floor);
        PrintSlowCalls("SQLite, never folding", floor);
        PrintSlowCalls("SQLite, folding in the background", folding);

        var server = await PostgresServer.GetAsync();
        Report.Line($"PostgreSQL: {server.Description}");
        var pgFloor = await RunPostgreSqlAsync(server, fold: false);
        Report.Line($"PostgreSQL, never folding (the noise floor):             {pgFloor}");
        var pgFolding = await RunPostgreSqlAsync(server, fold: true);
        Report.Line($"PostgreSQL, folding in the background:                   {pgFolding}");
        Check(report, "PostgreSQL", pgFolding, pgFloor);
        PrintSlowCalls("PostgreSQL, never folding", pgFloor);
        PrintSlowCalls("PostgreSQL, folding in the background", pgFolding);
    }

    /// <summary>
    /// What overlapped the slow saves: a GC, a background fold of this repository, or neither; for SQLite also which
    /// phases of the fold and the WAL checkpoints, and how long each phase took.
    /// </summary>
    private static void PrintSlowCalls(string what, FoldRun run) => SlowCallReport.Print(what, run.Log, run.Timeline, slowest: 3);

    private static void Check(Report report, string store, FoldRun folding, FoldRun floor)
    {
        report.AtMost($"{store} stage save max / median, background folds", folding.Saves.Max / folding.Saves.Median, 10);
        report.AtMost($"{store} stage save p99 / median, background folds", folding.Saves.Percentile(0.99) / folding.Saves.Median, 3);
        Report.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"({store}, same ratios never folding: max / median {floor.Saves.Max / floor.Saves.Median:F1}x, p99 / median {floor.Saves.Percentile(0.99) / floor.Saves.Median:F1}x)"));
    }

    private static async Task<FoldRun> RunSqliteAsync(string database, bool fold)
    {
        var timeline = new BackgroundTimeline();
        var options = new SqliteCheckpointRepositoryOptions { MinCompactionBytes = fold ? 64 * 1024 : long.MaxValue, BackgroundActivity = timeline.Enter };
        await using var repository = new SqliteCheckpointRepository(database, options);
        await using var watcher = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        return await RunAsync(repository, new FoldRun(timeline), async () =>
        {
            if (watcher.State != System.Data.ConnectionState.Open)
            {
                await watcher.OpenAsync();
            }

            using var look = watcher.CreateCommand();
            look.CommandText = "SELECT document_id, document_bytes FROM checkpoints";
            using var row = await look.ExecuteReaderAsync();
            return await row.ReadAsync() ? (row.GetInt64(0), row.GetInt64(1)) : null;
        });
    }

    private static async Task<FoldRun> RunPostgreSqlAsync(PostgresServer server, bool fold)
    {
        var schema = PostgresServer.NewSchema(fold ? "bench_folds" : "bench_no_folds");
        var options = new PostgreSqlCheckpointRepositoryOptions { Schema = schema, MinCompactionBytes = fold ? 64 * 1024 : long.MaxValue };
        try
        {
            await using var repository = new PostgreSqlCheckpointRepository(server.DataSource, options);
            return await RunAsync(repository, new FoldRun(() => !repository.WhenFoldIdleAsync(Workload.CardId).IsCompleted), async () =>
            {
                await using var look = server.DataSource.CreateCommand($"SELECT document_generation, document_bytes FROM \"{schema}\".checkpoints");
                await using var row = await look.ExecuteReaderAsync();
                return await row.ReadAsync() && !row.IsDBNull(0) ? (row.GetInt64(0), row.GetInt64(1)) : null;
            });
        }
        finally
        {
            await server.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }

    /// <param name="repository">The store.</param>
    /// <param name="run">Where the saves are recorded, with how the store's background work is observed.</param>
    /// <param name="look">Reads the card's document identity and size, outside the timed save.</param>
    private static async Task<FoldRun> RunAsync(ICheckpointRepository repository, FoldRun run, Func<Task<(long Id, long Bytes)?>> look)
    {
        var lastDocument = 0L;
        var manager = new CheckpointManager(Workload.CardId, repository);
        await using (manager)
        {
            await manager.CreateCheckpointAsync(Stages);
            lastDocument = (await look())?.Id ?? 0;
            for (var stage = 1; stage <= Stages; stage++)
            {
                var responses = Workload.StageResponses(stage);
                var foldingBefore = run.Folding?.Invoke() ?? false;
                var saved = CallLog.Start();
                await manager.SaveStageCheckpointAsync(Workload.StageName(stage), StageStatus.Completed, llmResponses: responses);
                if (run.Timeline is { } timeline)
                {
                    run.Log.End(saved, stage, timeline);
                }
                else
                {
                    run.Log.End(saved, stage, foldingBefore || (run.Folding?.Invoke() ?? false));
                }

                // A new document id is a fold that switched in (in the background) since the last look.
                if (await look() is { } document && document.Id != lastDocument)
                {
                    lastDocument = document.Id;
                    run.Documents++;
                    run.DocumentBytes = document.Bytes;
                }
            }
        }

        return run;
    }

    /// <summary>The saves of one run, and how the store's background work is observed: its phases, or only whether a fold runs.</summary>
    private sealed class FoldRun
    {
        public FoldRun(BackgroundTimeline timeline) => Timeline = timeline;

        public FoldRun(Func<bool> folding) => Folding = folding;

        public BackgroundTimeline? Timeline { get; }

        public Func<bool>? Folding { get; }

        public CallLog Log { get; } = new();

        public Samples Saves => Log.Samples;

        public int Documents { get; set; }

        public long DocumentBytes { get; set; }

        public override string ToString() =>
            $"stage save {Saves}, p99 {Report.Ms(Saves.Percentile(0.99))}; {Documents} documents seen during the run, the last {Report.Bytes(DocumentBytes)}";
    }
}
