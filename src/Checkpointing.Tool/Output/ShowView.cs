using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Checkpointing.Tool.Output;

/// <summary>What <c>show</c> (and each frame of <c>watch</c>) renders: a header, the stage table, a bar chart of durations.</summary>
internal static class ShowView
{
    private const int PlainChartWidth = 40;

    public static IRenderable Build(PipelineCheckpoint checkpoint, DateTimeOffset now, bool plain)
    {
        var cost = CostReport.For(checkpoint);
        var parts = new List<IRenderable> { Header(checkpoint, cost, now, plain), Stages(checkpoint, cost, plain) };
        var durations = checkpoint.StageCheckpoints.Values.Where(s => s.Duration > TimeSpan.Zero).ToList();
        if (durations.Count > 0)
        {
            parts.Add(new Text("stage durations (seconds)"));
            parts.Add(plain ? PlainChart(durations) : RichChart(durations));
        }

        return new Rows(parts);
    }

    public static string? FailureReason(PipelineCheckpoint checkpoint) =>
        checkpoint.Metadata.TryGetValue("failure_reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null;

    /// <summary>Wall-clock time from creation to the last change (a finished run) or to now (a run still going).</summary>
    public static TimeSpan WallTime(PipelineCheckpoint checkpoint, DateTimeOffset now) =>
        (checkpoint.Status is CheckpointStatus.Completed or CheckpointStatus.Failed ? checkpoint.UpdatedAt : now) - checkpoint.CreatedAt;

    private static IRenderable Header(PipelineCheckpoint checkpoint, CostReport cost, DateTimeOffset now, bool plain)
    {
        var summary = CardSummary.Of(checkpoint, 0);
        var grid = new Grid();
        grid.AddColumn(new GridColumn().NoWrap());
        grid.AddColumn();
        void Row(string name, string markup) => grid.AddRow(new Markup($"[bold]{name}[/]"), new Markup(markup));
        Row("card", StatusStyle.Escape(checkpoint.CardId));
        Row("status", $"{StatusStyle.Markup(checkpoint.Status)} (version {checkpoint.Version})");
        Row("progress", $"{ProgressBar.Markup(summary.Fraction, 20, plain, checkpoint.Status)} {summary.Completed}/{summary.Total} stages");
        Row("current stage", StatusStyle.Escape(Formats.CurrentStage(checkpoint)));
        Row("created", $"{Formats.Timestamp(checkpoint.CreatedAt)} ({Formats.Relative(checkpoint.CreatedAt, now)})");
        Row("updated", $"{Formats.Timestamp(checkpoint.UpdatedAt)} ({Formats.Relative(checkpoint.UpdatedAt, now)})");
        Row("duration", $"{Formats.Duration(WallTime(checkpoint, now))} wall clock, {Formats.Duration(checkpoint.TotalDuration)} in stages");
        Row("eta", Formats.Eta(checkpoint));
        Row("resumes", checkpoint.ResumeCount.ToString(CultureInfo.InvariantCulture));
        Row("llm", StatusStyle.Escape(cost.Total.ToString()));
        if (cost.SavedByCache.Calls > 0)
        {
            Row("cache saved", StatusStyle.Escape(cost.SavedByCache.ToString()));
        }

        if (FailureReason(checkpoint) is { } reason)
        {
            Row("failure", $"[red]{StatusStyle.Escape(reason)}[/]");
        }

        return grid;
    }

    private static Table Stages(PipelineCheckpoint checkpoint, CostReport cost, bool plain)
    {
        var table = new Table { Border = plain ? TableBorder.Ascii : TableBorder.Rounded };
        table.AddColumn("stage");
        table.AddColumn("status");
        table.AddColumn("start");
        table.AddColumn(new TableColumn("duration").RightAligned());
        table.AddColumn(new TableColumn("retries").RightAligned());
        table.AddColumn(new TableColumn("llm calls").RightAligned());
        table.AddColumn(new TableColumn("tokens").RightAligned());
        table.AddColumn(new TableColumn("cost").RightAligned());
        table.AddColumn(new TableColumn("cache saved").RightAligned());
        table.AddColumn("error");
        foreach (var stageCost in cost.Stages)
        {
            checkpoint.StageCheckpoints.TryGetValue(stageCost.StageName, out var stage);
            table.AddRow(
                StatusStyle.Escape(stageCost.StageName),
                stage is null ? "[grey]pending[/]" : StatusStyle.Markup(stage.Status),
                stage is null ? "-" : Formats.Timestamp(stage.StartTime),
                stage is null ? "-" : Formats.Duration(stage.Duration),
                stage?.RetryCount.ToString(CultureInfo.InvariantCulture) ?? "-",
                stageCost.Usage.Calls.ToString(CultureInfo.InvariantCulture),
                Formats.Number(stageCost.Usage.TotalTokens),
                StatusStyle.Escape(Formats.Cost(stageCost.Usage)),
                StatusStyle.Escape(stageCost.SavedByCache.Calls == 0 ? "-" : $"{Formats.Count(stageCost.SavedByCache.Calls, "call")}, {Formats.Cost(stageCost.SavedByCache)}"),
                stage?.ErrorMessage is { } error ? $"[red]{StatusStyle.Escape(error)}[/]" : "-");
        }

        return table;
    }

    private static BarChart RichChart(IReadOnlyList<StageCheckpoint> stages)
    {
        var chart = new BarChart().Width(60);
        foreach (var stage in stages)
        {
            chart.AddItem(stage.StageName, Math.Round(stage.Duration.TotalSeconds, 1), stage.Status == StageStatus.Failed ? Color.Red : Color.Green);
        }

        return chart;
    }

    private static Text PlainChart(IReadOnlyList<StageCheckpoint> stages)
    {
        var longest = stages.Max(s => s.Duration.TotalSeconds);
        var nameWidth = stages.Max(s => s.StageName.Length);
        var lines = stages.Select(s =>
        {
            var bar = longest <= 0 ? 0 : (int)Math.Round(s.Duration.TotalSeconds / longest * PlainChartWidth, MidpointRounding.AwayFromZero);
            return $"{s.StageName.PadRight(nameWidth)} {new string('#', Math.Max(bar, 1))} {s.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}";
        });
        return new Text(string.Join(Environment.NewLine, lines));
    }
}
