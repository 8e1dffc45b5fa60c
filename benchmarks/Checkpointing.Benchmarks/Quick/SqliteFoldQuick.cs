using System.Globalization;
using Checkpointing.Benchmarks.Support;
using Checkpointing.Sqlite;
using Microsoft.Data.Sqlite;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (i): stage saves through a manager on the SQLite store while its change rows are folded into new documents in the
/// background (<see cref="Stages"/> stages of <see cref="Workload.ResponsesPerStage"/> ~6 KB responses, so the document
/// reaches tens of MB and is rewritten several times), beside the same run with folding off: the noise floor of this
/// machine. A save must never wait for a fold: its max / median should be that of the run that never folds.
/// </summary>
internal static class SqliteFoldQuick
{
    private const int Stages = 1000;

    public static async Task RunAsync(string root, Report report)
    {
        Report.Section($"(i) SQLite: {Stages} stage saves x {Workload.ResponsesPerStage} responses through a manager, background folds vs never folding");
        var floor = await RunAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(root, "sqlite-no-folds")).FullName, "checkpoints.db"), fold: false);
        Report.Line($"never folding (the noise floor of this machine): {floor}");
        var folding = await RunAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(root, "sqlite-folds")).FullName, "checkpoints.db"), fold: true);
        Report.Line($"folding in the background:                       {folding}");

        report.AtMost("SQLite stage save max / median, background folds", folding.Saves.Max / folding.Saves.Median, 10);
        report.AtMost("SQLite stage save p99 / median, background folds", folding.Saves.Percentile(0.99) / folding.Saves.Median, 3);
        Report.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"(same ratios never folding: max / median {floor.Saves.Max / floor.Saves.Median:F1}x, p99 / median {floor.Saves.Percentile(0.99) / floor.Saves.Median:F1}x)"));
    }

    private static async Task<FoldRun> RunAsync(string database, bool fold)
    {
        var run = new FoldRun();
        var options = new SqliteCheckpointRepositoryOptions { MinCompactionBytes = fold ? 64 * 1024 : long.MaxValue };
        var lastDocument = 0L;
        await using var repository = new SqliteCheckpointRepository(database, options);
        await using var watcher = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        var manager = new CheckpointManager(Workload.CardId, repository);
        await using (manager)
        {
            await manager.CreateCheckpointAsync(Stages);
            await watcher.OpenAsync();
            for (var stage = 1; stage <= Stages; stage++)
            {
                var responses = Workload.StageResponses(stage);
                await run.Saves.TimeAsync(() => manager.SaveStageCheckpointAsync(Workload.StageName(stage), StageStatus.Completed, llmResponses: responses));

                // A new document id is a fold that switched in (in the background) since the last look.
                using var look = watcher.CreateCommand();
                look.CommandText = "SELECT document_id, document_bytes FROM checkpoints";
                using var row = await look.ExecuteReaderAsync();
                if (await row.ReadAsync() && row.GetInt64(0) != lastDocument)
                {
                    lastDocument = row.GetInt64(0);
                    run.Documents++;
                    run.DocumentBytes = row.GetInt64(1);
                }
            }
        }

        return run;
    }

    private sealed class FoldRun
    {
        public Samples Saves { get; } = new();

        public int Documents { get; set; }

        public long DocumentBytes { get; set; }

        public override string ToString() =>
            $"stage save {Saves}, p99 {Report.Ms(Saves.Percentile(0.99))}; {Documents} documents seen during the run, the last {Report.Bytes(DocumentBytes)}";
    }
}
