using System.Text.Json;

namespace Checkpointing.Tool.Tests.Support;

/// <summary>How a run of the tool ended.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Stdout);
        return document.RootElement.Clone();
    }

    public IReadOnlyList<string> ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}
