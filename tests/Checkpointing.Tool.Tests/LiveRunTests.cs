using Checkpointing.Tests.Support;
using Checkpointing.Tool.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tool.Tests;

/// <summary>
/// watch and list while another process writes the card: the writer is a real child process; handshakes (its
/// <c>created</c> line, our <c>go</c>) order the steps, never sleeps.
/// </summary>
public sealed class LiveRunTests : IDisposable
{
    private const int StageCount = 6;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Kinds() => ["file", "sqlite"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Watch_FollowsARunWrittenByAnotherProcess_UntilItCompletes(string kind)
    {
        var store = StoreOfKind(kind);
        using var writer = await StartWriterAsync(store, "live");

        using var watch = ToolProcess.Start(["watch", "live", "--store", store, "--interval", "50ms", "--timeout", "2m"]);
        var first = await watch.WaitForLineAsync(line => line.Contains(" live v", StringComparison.Ordinal), Patience);
        await writer.SendLineAsync("go");
        var result = await watch.WaitForExitAsync(Patience);
        (await writer.WaitForExitAsync(Patience)).Should().Be(0, writer.Describe());

        first.Should().Contain("live v1 active").And.Contain($"0/{StageCount}", "watch showed the run before it went on");
        result.ExitCode.Should().Be(0, result.ToString());
        var last = watch.Lines[^1];
        last.Should().Contain("completed").And.Contain($"[####################] {StageCount}/{StageCount}");
        watch.Lines.Select(VersionOf).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems("a line per new version, in order");
    }

    [Fact]
    public async Task Watch_RunThatFails_ExitsOneSayingWhy()
    {
        var repository = new FileSystemCheckpointRepository(_dir.Path);
        await using (var manager = new CheckpointManager("doomed", repository))
        {
            await manager.ResumeOrCreateAsync(2);
            await manager.MarkFailedAsync("the build broke");
        }

        var result = await ToolProcess.RunAsync("watch", "doomed", "--store", ("file:" + _dir.Path), "--interval", "50ms");

        result.ExitCode.Should().Be(1, result.ToString());
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("failed: the build broke");
    }

    [Fact]
    public async Task Watch_Timeout_ExitsOne()
    {
        var repository = new FileSystemCheckpointRepository(_dir.Path);
        await using (var manager = new CheckpointManager("idle", repository))
        {
            await manager.ResumeOrCreateAsync(2);
        }

        var result = await ToolProcess.RunAsync("watch", "idle", "--store", ("file:" + _dir.Path), "--interval", "50ms", "--timeout", "1s");

        result.ExitCode.Should().Be(1, result.ToString());
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("has not completed or failed");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task List_WhileAnotherProcessWrites_AlwaysReadsAWholeMergedState(string kind)
    {
        var store = StoreOfKind(kind);
        using var writer = await StartWriterAsync(store, "busy");
        await writer.SendLineAsync("go");

        var seen = new List<(long Version, int Completed)>();
        var done = false;
        for (var run = 0; !done || run < 3; run++)
        {
            done = writer.Lines.Contains("done");
            var list = await ToolProcess.RunAsync("list", "--store", store, "--json");
            list.ExitCode.Should().Be(0, list.ToString());
            var card = list.Json().GetProperty("cards").EnumerateArray().Should().ContainSingle().Subject;
            seen.Add((card.GetProperty("version").GetInt64(), card.GetProperty("stages_completed").GetInt32()));
        }

        (await writer.WaitForExitAsync(Patience)).Should().Be(0, writer.Describe());
        seen.Select(s => s.Version).Should().BeInAscendingOrder();
        seen.Select(s => s.Completed).Should().BeInAscendingOrder();
        seen.Should().OnlyContain(s => s.Completed <= StageCount);
        seen[^1].Completed.Should().Be(StageCount, "the last list ran after the writer completed the run");
    }

    /// <summary>Starts the writer child process and waits until it has created the card (version 1).</summary>
    private static async Task<ChildProcess> StartWriterAsync(string store, string cardId)
    {
        var writer = ChildProcess.Start("write-card", store, cardId, StageCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await writer.WaitForLineAsync(line => line == "created v1", Patience);
        return writer;
    }

    private string StoreOfKind(string kind) => kind == "file" ? ("file:" + _dir.Path) : "sqlite:" + _dir.Combine("store.db");

    private static long VersionOf(string line)
    {
        var at = line.IndexOf(" v", StringComparison.Ordinal) + 2;
        return long.Parse(line[at..line.IndexOf(' ', at)], System.Globalization.CultureInfo.InvariantCulture);
    }
}
