using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Tests.Integration;

/// <summary>Lock-free reads while another process writes and compacts: never a failure, never a partial document.</summary>
[Collection(RealProcessTests.Name)]
public sealed class ReadersBesideWritersTests(ITestOutputHelper output)
{
    private const string CardId = "BUSY";
    private static readonly TimeSpan ReadFor = TimeSpan.FromSeconds(2.5);

    [Fact]
    public async Task LoadsWhileAnotherProcessWrites_AlwaysSucceed_AndNeverSeeAPartialDocument()
    {
        using var temp = new TempDirectory();
        using var writer = ChildProcess.Start("writer", temp.Path, CardId);
        await writer.WaitForLineAsync(line => line == "started", TimeSpan.FromSeconds(60));

        var repository = new FileSystemCheckpointRepository(temp.Path);
        var snapshotPath = repository.GetSnapshotPath(CardId);
        long lastVersion = 0, lastSnapshotVersion = 0, firstVersion = -1;
        int loads = 0, snapshotReads = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < ReadFor || loads < 50)
        {
            var loaded = await repository.LoadAsync(CardId);
            loaded.Should().NotBeNull();
            loads++;
            if (firstVersion < 0)
            {
                firstVersion = loaded!.Version;
            }

            loaded!.Version.Should().BeGreaterThanOrEqualTo(lastVersion, "a later load never sees an older state");
            lastVersion = loaded.Version;
            AssertWhole(loaded);

            // The snapshot on its own is always a complete JSON document (it is replaced by rename, never rewritten).
            var bytes = await File.ReadAllBytesAsync(snapshotPath);
            using (var document = JsonDocument.Parse(bytes))
            {
                var root = document.RootElement;
                var snapshotVersion = root.GetProperty("version").GetInt64();
                snapshotVersion.Should().BeGreaterThanOrEqualTo(lastSnapshotVersion);
                lastSnapshotVersion = snapshotVersion;
                root.GetProperty("stage_checkpoints").EnumerateObject().Count()
                    .Should().Be(root.GetProperty("completed_stages").GetArrayLength());
                root.GetProperty("card_id").GetString().Should().Be(CardId);
            }

            snapshotReads++;
            writer.Process.HasExited.Should().BeFalse(writer.Describe());
        }

        output.WriteLine($"{loads} loads and {snapshotReads} snapshot reads; versions {firstVersion} -> {lastVersion}; last snapshot version {lastSnapshotVersion}");
        lastVersion.Should().BeGreaterThan(firstVersion, "the writer must have been writing while the reader read");
        writer.KillHard();
    }

    private static void AssertWhole(PipelineCheckpoint loaded)
    {
        // The writer saves s-0, s-1, ... in order, all completed: a whole state holds exactly a prefix of them, and the
        // write-ahead response of each even stage inside its record, once. (Plain loops: this runs on every load.)
        var count = loaded.StageCheckpoints.Count;
        loaded.CompletedStages.Count.Should().Be(count);
        var problems = new List<string>();
        var index = 0;
        foreach (var (name, stage) in loaded.StageCheckpoints)
        {
            var expected = $"s-{index.ToString(CultureInfo.InvariantCulture)}";
            if (name != expected || loaded.CompletedStages[index] != expected
                || stage.Result!.Value.GetProperty("Index").GetInt32() != index
                || stage.LlmResponses.Count != (index % 2 == 0 ? 1 : 0))
            {
                problems.Add($"stage #{index}: {name} (completed list: {loaded.CompletedStages[index]}, {stage.LlmResponses.Count} responses)");
            }

            index++;
        }

        problems.Should().BeEmpty("a load returns a whole state, never part of one");

        // A write-ahead response belongs to the stage not yet saved: saving a stage moves its responses into the record.
        loaded.PendingLlmResponses.Keys.Should().BeSubsetOf([$"s-{count.ToString(CultureInfo.InvariantCulture)}"]);
    }
}
