using Checkpointing.Tests.Support;
using Checkpointing.Tool.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tool.Tests;

/// <summary>Usage errors exit 2 with one line each on stderr saying what to do; stores come from --store or the environment.</summary>
public sealed class UsageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("bogus")]
    [InlineData("list", "--sort", "nope")]
    [InlineData("list", "--store", "ftp:somewhere")]
    [InlineData("list", "--updated-before", "yesterday-ish")]
    [InlineData("rewind", "card")]
    [InlineData("prune", "--older-than", "ages")]
    public async Task BadCommandLine_ExitsTwo_WithOneLinePerError(params string[] args)
    {
        var result = await ToolProcess.RunAsync(args);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stdout.Should().BeEmpty();
        result.ErrorLines.Should().NotBeEmpty().And.OnlyContain(line => line.StartsWith("checkpointing: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MisspeltCommand_SaysOnlyThatItIsUnrecognized()
    {
        var result = await ToolProcess.RunAsync("lst");

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("Unrecognized command or argument 'lst'");
    }

    [Fact]
    public async Task Store_ComesFromCheckpointingStore_ThenCheckpointDir()
    {
        Fixtures.CopyTo(_dir.Path);
        var sqlite = "sqlite:" + _dir.Combine("env.db");
        (await ToolProcess.RunAsync("copy", "card-fresh", "--store", ("file:" + _dir.Path), "--to", sqlite)).ExitCode.Should().Be(0);

        var fromStoreVariable = await ToolProcess.RunWithAsync(new Dictionary<string, string?> { ["CHECKPOINTING_STORE"] = sqlite }, "list", "--json");
        var fromDirVariable = await ToolProcess.RunWithAsync(new Dictionary<string, string?> { ["CHECKPOINT_DIR"] = _dir.Path }, "list", "--json");

        fromStoreVariable.Json().GetProperty("cards").GetArrayLength().Should().Be(1);
        fromStoreVariable.Json().GetProperty("store").GetString().Should().Be(sqlite);
        fromDirVariable.Json().GetProperty("cards").GetArrayLength().Should().Be(5);
    }

    [Fact]
    public async Task MissingDirectory_IsReportedNotCreated()
    {
        var missing = _dir.Combine("nowhere");

        var result = await ToolProcess.RunAsync("list", "--store", "file:" + missing);

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("does not exist");
        Directory.Exists(missing).Should().BeFalse("a read never creates a store");
    }
}
