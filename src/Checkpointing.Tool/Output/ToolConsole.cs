using Spectre.Console;

namespace Checkpointing.Tool.Output;

/// <summary>
/// The console the tool renders to: colours, Unicode and live updates on a terminal; plain ASCII text without colour
/// when output is redirected (a pipe, a file) or <c>NO_COLOR</c> is set.
/// </summary>
internal static class ToolConsole
{
    /// <summary>The width plain output is laid out for, so tables are not wrapped at 80 columns in a log file.</summary>
    private const int PlainWidth = 200;

    public static bool IsPlain =>
        Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };

    public static IAnsiConsole Create()
    {
        var plain = IsPlain;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = plain ? InteractionSupport.No : InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        if (plain)
        {
            console.Profile.Capabilities.Unicode = false;
            console.Profile.Width = PlainWidth;
        }

        return console;
    }

    /// <summary>A table in the tool's style: rounded borders on a terminal, ASCII in plain text.</summary>
    public static Table NewTable(IAnsiConsole console) => new Table
    {
        Border = console.Profile.Capabilities.Unicode ? TableBorder.Rounded : TableBorder.Ascii,
    };
}
