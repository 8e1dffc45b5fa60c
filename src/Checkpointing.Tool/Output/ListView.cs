using Spectre.Console;

namespace Checkpointing.Tool.Output;

/// <summary>The table of <c>list</c>: one row per card.</summary>
internal static class ListView
{
    private const int BarWidth = 10;

    public static void Render(IAnsiConsole console, IReadOnlyList<CardSummary> cards, DateTimeOffset now)
    {
        var plain = !console.Profile.Capabilities.Unicode;
        var table = ToolConsole.NewTable(console);
        table.AddColumn("card");
        table.AddColumn("status");
        table.AddColumn("progress");
        table.AddColumn("current stage");
        table.AddColumn("failed");
        table.AddColumn("updated");
        table.AddColumn(new TableColumn("resumes").RightAligned());
        table.AddColumn(new TableColumn("cost").RightAligned());
        table.AddColumn(new TableColumn("size").RightAligned());
        foreach (var card in cards)
        {
            var checkpoint = card.Checkpoint;
            table.AddRow(
                StatusStyle.Escape(card.CardId),
                StatusStyle.Markup(checkpoint.Status),
                $"{ProgressBar.Markup(card.Fraction, BarWidth, plain, checkpoint.Status)} {card.Completed}/{card.Total}",
                StatusStyle.Escape(Formats.CurrentStage(checkpoint)),
                checkpoint.FailedStages.Count == 0 ? "-" : $"[red]{StatusStyle.Escape(string.Join(", ", checkpoint.FailedStages))}[/]",
                Formats.Relative(checkpoint.UpdatedAt, now),
                checkpoint.ResumeCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                StatusStyle.Escape(Formats.Cost(card.Cost.Total)),
                Formats.Size(card.SizeBytes));
        }

        console.Write(table);
    }
}
