using Checkpointing.Tests.Support;
using Checkpointing.Tool.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tool.Tests;

/// <summary>On a terminal the tool draws colours, Unicode tables and a live view; NO_COLOR turns them off.</summary>
public sealed class TerminalTests : IDisposable
{
    private const string Escape = "\u001b[";
    private readonly TempDirectory _dir = new();

    public TerminalTests() => Fixtures.CopyTo(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Show_OnATerminal_HasColoursUnicodeBordersAndABarChart()
    {
        var result = await ToolProcess.RunInTerminalAsync(null, "show", "card-failed", "--store", "file:" + _dir.Path);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Contain(Escape + "38;5;9mfailed", "the status is red").And.Contain("│").And.Contain("█");
    }

    [Fact]
    public async Task Show_OnATerminalWithNoColor_IsPlainText()
    {
        var result = await ToolProcess.RunInTerminalAsync(new Dictionary<string, string?> { ["NO_COLOR"] = "1" }, "show", "card-failed", "--store", "file:" + _dir.Path);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().NotContain(Escape + "38;").And.NotContain("│").And.Contain("| development  | failed");
    }

    [Fact]
    public async Task Watch_OnATerminal_DrawsTheLiveViewAndEndsWhenTheRunHasCompleted()
    {
        var result = await ToolProcess.RunInTerminalAsync(null, "watch", "card-completed", "--store", "file:" + _dir.Path, "--interval", "50ms");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Contain("card-completed").And.Contain("8/8").And.Contain("│");
    }
}
