using System.Globalization;
using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Tests.Integration;

/// <summary>
/// A child process saves stages and caches LLM responses as fast as it can; the test kills it with SIGKILL at random
/// moments, over and over, and after every kill checks that nothing the child was told is durable went missing.
/// </summary>
/// <remarks>
/// Two lanes run side by side, each killing its own child on its own card in the same directory, so that the
/// 200 kills fit the time a CI run can spend on them (a child spends most of its short life starting up).
/// </remarks>
[Collection(RealProcessTests.Name)]
public sealed class KillLoopTests(ITestOutputHelper output)
{
    private const int Lanes = 2;
    private const int KillsPerLane = 100;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Kills children that compact now and then, and children whose store compacts in the background all the time.</summary>
    /// <param name="scenario">
    /// <c>kill-loop</c>: every tenth stage the child compacts (and waits); <c>kill-loop-background</c>: the store folds
    /// the journal in the background whenever it passes 4 KB, so most kills land mid-way through a background compaction.
    /// </param>
    [Theory]
    [InlineData("kill-loop")]
    [InlineData("kill-loop-background")]
    public async Task SigkillAtRandomMoments_LosesNoReportedStageOrCachedResponse_AndVersionNeverGoesBack(string scenario)
    {
        using var temp = new TempDirectory();
        var seed = Environment.TickCount;
        output.WriteLine($"random seed {seed}");

        var lanes = Enumerable.Range(0, Lanes).Select(lane => new Lane($"KILL-LOOP-{lane}", scenario, new Random(seed + lane))).ToList();
        await Task.WhenAll(lanes.Select(lane => lane.RunAsync(temp.Path, KillsPerLane)));

        foreach (var lane in lanes)
        {
            output.WriteLine(
                $"{lane.CardId}: {KillsPerLane} kills; {lane.ReportedStages.Count} stages and {lane.ReportedCached.Count} cached responses "
                + $"reported; last line before the kill: stage {lane.KillsAfterStage}, cached {lane.KillsAfterCached}, compacted {lane.KillsAfterCompacted}, open {lane.KillsAfterOpen}; "
                + $"final version {lane.LastLoadedVersion}; killed with a background compaction between switch and rename: {lane.KillsMidBackgroundCompaction}");
            lane.ReportedStages.Count.Should().BeGreaterThan(KillsPerLane / 4, "the children must get real work done between kills for the test to mean anything");
        }

        lanes.Sum(lane => lane.Kills).Should().BeGreaterThanOrEqualTo(200);
        if (scenario == "kill-loop-background")
        {
            lanes.Sum(lane => lane.KillsMidBackgroundCompaction).Should().BeGreaterThanOrEqualTo(
                Lanes * KillsPerLane / 4, "kills must land while appends go to a successor journal whose snapshot is not written yet, or the test proves nothing about them");
        }

        // A final owner resumes each card: every response is found by lookup, and no temp file of a killed compaction is left.
        foreach (var lane in lanes)
        {
            var manager = new CheckpointManager(
                lane.CardId, new FileSystemCheckpointRepository(temp.Path), new CheckpointManagerOptions { LockTimeout = TimeSpan.FromSeconds(10) });
            await using (manager)
            {
                var resumed = await manager.ResumeAsync();
                resumed.Should().NotBeNull();
                resumed!.Version.Should().Be(lane.LastLoadedVersion + 1);
                foreach (var (stage, prompt) in lane.ReportedCached)
                {
                    manager.GetCachedLlmResponse(stage, prompt).Should().NotBeNull($"the write-ahead response {stage}/{prompt} was reported durable");
                }

                foreach (var (stage, _) in lane.ReportedStages)
                {
                    manager.GetCachedLlmResponse(stage, $"{stage}-q1", "model-a").Should().NotBeNull();
                    manager.GetCachedLlmResponse(stage, $"{stage}-q2", "model-b").Should().NotBeNull();
                }
            }
        }

        Directory.GetFiles(temp.Path, "*.tmp").Should().BeEmpty("taking ownership removes the temp files of killed writers");
    }

    private static bool IsCached(PipelineCheckpoint checkpoint, string stage, string prompt) =>
        (checkpoint.PendingLlmResponses.TryGetValue(stage, out var pending) && pending.Any(r => r.Prompt == prompt))
        || (checkpoint.StageCheckpoints.TryGetValue(stage, out var record) && record.LlmResponses.Any(r => r.Prompt == prompt));

    /// <summary>One card killed over and over: what its children reported, and what was loaded after each kill.</summary>
    private sealed class Lane(string cardId, string scenario, Random random)
    {
        public string CardId { get; } = cardId;

        public List<(string Stage, long Version)> ReportedStages { get; } = [];

        public List<(string Stage, string Prompt)> ReportedCached { get; } = [];

        public long LastLoadedVersion { get; private set; }

        public int Kills { get; private set; }

        public int KillsAfterStage { get; private set; }

        public int KillsAfterCached { get; private set; }

        public int KillsAfterOpen { get; private set; }

        public int KillsAfterCompacted { get; private set; }

        /// <summary>Gets the kills after which the successor journal held records: a background compaction had switched to it and not finished.</summary>
        public int KillsMidBackgroundCompaction { get; private set; }

        public async Task RunAsync(string directory, int kills)
        {
            for (var run = 0; run < kills; run++)
            {
                IReadOnlyList<string> lines;
                using (var child = ChildProcess.Start(scenario, directory, CardId, run.ToString(CultureInfo.InvariantCulture)))
                {
                    await child.WaitForFirstLineAsync(StartTimeout);
                    if (run % 2 == 1)
                    {
                        // Every other kill is timed from the child's first returned stage save, not from its start, so
                        // the children get real work done between kills however slowly a loaded machine runs them;
                        // the other half still lands anywhere from the open on.
                        await child.WaitForLineAsync(line => line.StartsWith("stage ", StringComparison.Ordinal), StartTimeout);
                    }

                    await Task.Delay(random.Next(20, 151));
                    if (scenario == "kill-loop-background")
                    {
                        await WaitForBackgroundCompactionAsync(directory);
                    }

                    child.Process.HasExited.Should().BeFalse($"the child of {CardId} run {run} must still be working when it is killed; {child.Describe()}");
                    lines = await child.KillHardAndDrainAsync();
                }

                Kills++;
                if (IsCompactingInBackground(directory))
                {
                    KillsMidBackgroundCompaction++;
                }

                var (openVersion, maxReportedVersion) = Record(lines, run);
                openVersion.Should().Be(
                    run == 0 ? 1 : LastLoadedVersion + 1,
                    $"run {run} of {CardId} resumes exactly the state loaded after the previous kill (resuming adds one change)");

                var loaded = await new FileSystemCheckpointRepository(directory).LoadAsync(CardId);
                loaded.Should().NotBeNull($"{CardId} must load after kill {run}");
                loaded!.Version.Should().BeGreaterThanOrEqualTo(LastLoadedVersion, $"the version of {CardId} must never go backwards (kill {run})");
                loaded.Version.Should().BeGreaterThanOrEqualTo(maxReportedVersion, $"every change the child reported as returned is durable ({CardId}, kill {run})");
                AssertContainsEverythingReported(loaded, run);
                LastLoadedVersion = loaded.Version;
            }
        }

        /// <summary>
        /// Whether the successor journal holds records: a background compaction switched the appends to it and has not
        /// yet renamed it over the journal (its snapshot may or may not be written).
        /// </summary>
        private bool IsCompactingInBackground(string directory)
        {
            // A prepared successor is zero-filled ahead of its appends: it holds a record once its first length field is not zero.
            var firstLength = new byte[4];
            try
            {
                using var successor = new FileStream(
                    Path.Combine(directory, CardId + ".journal-next"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                return RandomAccess.Read(successor.SafeFileHandle, firstLength, JournalFormat.HeaderSize) == firstLength.Length
                    && BitConverter.ToUInt32(firstLength) != 0;
            }
            catch (FileNotFoundException)
            {
                return false;
            }
        }

        /// <summary>
        /// Waits (up to a second, polling) until a background compaction is under way, so that the kill lands in one
        /// however slowly a loaded machine runs the child.
        /// </summary>
        private async Task WaitForBackgroundCompactionAsync(string directory)
        {
            for (var polls = 0; polls < 1000 && !IsCompactingInBackground(directory); polls++)
            {
                await Task.Delay(1);
            }
        }

        private (long OpenVersion, long MaxReportedVersion) Record(IReadOnlyList<string> lines, int run)
        {
            long openVersion = -1, maxReportedVersion = 0;
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                switch (parts[0])
                {
                    case "open":
                        openVersion = long.Parse(parts[1], CultureInfo.InvariantCulture);
                        maxReportedVersion = Math.Max(maxReportedVersion, openVersion);
                        break;
                    case "cached":
                        ReportedCached.Add((parts[1], parts[2]));
                        break;
                    case "compacted":
                        maxReportedVersion = Math.Max(maxReportedVersion, long.Parse(parts[1], CultureInfo.InvariantCulture));
                        break;
                    case "stage":
                        var version = long.Parse(parts[2], CultureInfo.InvariantCulture);
                        ReportedStages.Add((parts[1], version));
                        maxReportedVersion = Math.Max(maxReportedVersion, version);
                        break;
                    default:
                        throw new InvalidOperationException($"unexpected line from the child of {CardId} run {run}: '{line}'");
                }
            }

            switch (lines[^1].Split(' ')[0])
            {
                case "stage": KillsAfterStage++; break;
                case "cached": KillsAfterCached++; break;
                case "compacted": KillsAfterCompacted++; break;
                default: KillsAfterOpen++; break;
            }

            return (openVersion, maxReportedVersion);
        }

        private void AssertContainsEverythingReported(PipelineCheckpoint loaded, int run)
        {
            var completed = loaded.CompletedStages.ToHashSet(StringComparer.Ordinal);
            ReportedStages
                .Where(s => !loaded.StageCheckpoints.ContainsKey(s.Stage) || !completed.Contains(s.Stage))
                .Select(s => s.Stage)
                .Should().BeEmpty($"every stage whose save had returned before kill {run} of {CardId} must be stored");

            ReportedCached
                .Where(c => !IsCached(loaded, c.Stage, c.Prompt))
                .Select(c => $"{c.Stage}/{c.Prompt}")
                .Should().BeEmpty($"every response whose caching had returned before kill {run} of {CardId} must be stored");

            foreach (var (stage, _) in ReportedStages)
            {
                var prompts = loaded.StageCheckpoints[stage].LlmResponses.Select(r => r.Prompt).ToList();
                prompts.Should().OnlyHaveUniqueItems($"stage {stage} keeps each response once");
                prompts.Should().Contain([$"{stage}-q1", $"{stage}-q2"]);
            }
        }
    }
}
