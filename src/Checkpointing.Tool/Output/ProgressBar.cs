using Spectre.Console;

namespace Checkpointing.Tool.Output;

/// <summary>A progress bar: coloured blocks on a terminal, <c>[####----]</c> in plain text.</summary>
internal static class ProgressBar
{
    /// <summary>The bar as plain text, <c>[####----]</c>.</summary>
    public static string Text(double fraction, int width)
    {
        var filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width, MidpointRounding.AwayFromZero);
        return "[" + new string('#', filled) + new string('-', width - filled) + "]";
    }

    public static string Markup(double fraction, int width, bool plain, CheckpointStatus status)
    {
        var filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width, MidpointRounding.AwayFromZero);
        if (plain)
        {
            return Spectre.Console.Markup.Escape(Text(fraction, width));
        }

        var colour = StatusStyle.Colour(status);
        return $"[{colour}]{new string('█', filled)}[/][grey]{new string('░', width - filled)}[/]";
    }
}
