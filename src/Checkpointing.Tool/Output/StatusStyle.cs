using Spectre.Console;

namespace Checkpointing.Tool.Output;

/// <summary>The colour of each status (plain output has none).</summary>
internal static class StatusStyle
{
    public static string Colour(CheckpointStatus status) => status switch
    {
        CheckpointStatus.Completed => "green",
        CheckpointStatus.Failed => "red",
        CheckpointStatus.Paused => "yellow",
        _ => "blue",
    };

    public static string Colour(StageStatus status) => status switch
    {
        StageStatus.Completed => "green",
        StageStatus.Failed => "red",
        _ => "grey",
    };

    public static string Markup(CheckpointStatus status) => $"[{Colour(status)}]{Formats.Status(status)}[/]";

    public static string Markup(StageStatus status) => $"[{Colour(status)}]{Formats.Status(status)}[/]";

    public static string Escape(string? text) => Spectre.Console.Markup.Escape(text ?? string.Empty);
}
