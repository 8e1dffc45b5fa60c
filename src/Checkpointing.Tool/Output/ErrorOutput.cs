namespace Checkpointing.Tool.Output;

/// <summary>Errors and refusals: one line each on stderr, never mixed into stdout (which scripts parse).</summary>
internal static class ErrorOutput
{
    public static void Line(string message) =>
        Console.Error.WriteLine("checkpointing: " + string.Join(' ', message.ReplaceLineEndings(" ").Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)));
}
