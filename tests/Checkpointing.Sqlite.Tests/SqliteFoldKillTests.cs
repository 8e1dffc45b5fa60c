using System.Globalization;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// A child process caches LLM responses as fast as it can while its store folds the change rows in the background all
/// the time; the test kills it with SIGKILL, mostly while a fold has written chunks it has not switched in or deletes the
/// document its switch replaced, and after
/// every kill checks that every save the child reported as returned is stored, and that the next owner goes on.
/// </summary>
public sealed class SqliteFoldKillTests(ITestOutputHelper output) : SqliteTestBase
{
    private const int Kills = 15;
    private const string CardId = "FOLD-KILL";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SigkillDuringBackgroundFolds_LosesNoReturnedSave_AndTheNextOwnerFinishesTheFold()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"random seed {seed}");
        var random = new Random(seed);
        var reported = new SortedSet<long>();
        var lastLoaded = 0L;
        var midFold = 0;
        var midCleanup = 0;
        IReadOnlySet<long> leftover = new HashSet<long>();
        for (var run = 0; run < Kills; run++)
        {
            IReadOnlyList<string> lines;
            using (var child = ChildProcess.Start("fold-loop", Database.Path, CardId))
            {
                var open = await child.WaitForFirstLineAsync(StartTimeout);
                var expectedOpen = run == 0 ? 1 : lastLoaded;
                open.Should().Be(string.Create(CultureInfo.InvariantCulture, $"open {expectedOpen}"), "the child resumes what was loaded after the last kill");
                await Task.Delay(random.Next(20, 151));
                await WaitForANewFoldUnderWayAsync(leftover);
                if (run % 5 is 1 or 3)
                {
                    // Two kills in five aim after a switch: right after the child reports that its fold starts deleting the
                    // document the switch replaced, in the pause it then takes. (Left to chance, kills rarely land there.)
                    var seen = child.Lines.Count;
                    var index = 0;
                    await child.WaitForLineAsync(line => index++ >= seen && line == Program.FoldDeletingLine, StartTimeout);
                }

                child.Process.HasExited.Should().BeFalse($"the child of run {run} must still be working when it is killed; {child.Describe()}");
                lines = await child.KillHardAndDrainAsync();
            }

            var stray = Raw.StrayGenerations(Database.Path, CardId);
            if (stray.Except(leftover).Any())
            {
                midFold++;
            }

            if (lines.LastOrDefault(l => l is Program.FoldDeletingLine or Program.FoldIdleLine) == Program.FoldDeletingLine)
            {
                midCleanup++; // killed after a switch, before the fold deleted the document it replaced
            }

            leftover = stray;

            foreach (var line in lines.Where(l => l.StartsWith("saved ", StringComparison.Ordinal)))
            {
                reported.Add(long.Parse(line["saved ".Length..], CultureInfo.InvariantCulture));
            }

            var loaded = await Open().LoadAsync(CardId);
            loaded.Should().NotBeNull($"the card must load after kill {run}");
            loaded!.Version.Should().BeGreaterThanOrEqualTo(Math.Max(lastLoaded, reported.Count == 0 ? 0 : reported.Max), $"every save the child reported is durable (kill {run})");
            AssertHolds(loaded, reported, run);
            lastLoaded = loaded.Version;
        }

        output.WriteLine($"{Kills} kills, {midFold} of them with a fold's chunks no card names, {midCleanup} of them after a switch, before the replaced document was deleted; {reported.Count} saves reported; final version {lastLoaded}");
        reported.Count.Should().BeGreaterThan(Kills * 4, "the children must get real work done between kills for the test to mean anything");
        midFold.Should().BeGreaterThanOrEqualTo(Kills / 3, "kills must land while a fold is under way, or the test proves nothing about them");
        midCleanup.Should().BeGreaterThanOrEqualTo(Kills / 5, "kills must land between a switch and the deletion of the document it replaced, or the test proves nothing about them");

        // A last owner takes the card (its owner process is dead: taken at once), folds what the killed folds left and reads everything.
        var owner = Open();
        await using var ownership = await owner.AcquireOwnershipAsync(CardId, TimeSpan.FromSeconds(30));
        await owner.CompactAsync(CardId);
        Raw.StrayChunks(Database.Path, CardId).Should().Be(0, "the next fold's switch removes the chunks of killed folds");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes").Should().Be(0);
        var final = (await Open().LoadAsync(CardId))!;
        final.Version.Should().Be(lastLoaded);
        AssertHolds(final, reported, Kills);
    }

    private static void AssertHolds(PipelineCheckpoint loaded, IEnumerable<long> reported, int run)
    {
        var prompts = loaded.PendingLlmResponses.TryGetValue("stage", out var pending) ? pending.Select(r => r.Prompt).ToHashSet(StringComparer.Ordinal) : [];
        foreach (var version in reported)
        {
            prompts.Should().Contain(Program.FoldLoopPrompt(version), $"the save of version {version} was reported as returned (kill {run})");
        }
    }

    /// <summary>
    /// Polls (at most a second) until a fold of this child has written chunks the card does not name: a new document not
    /// switched in yet, or the one a switch replaced, which the fold then deletes.
    /// </summary>
    private async Task WaitForANewFoldUnderWayAsync(IReadOnlySet<long> leftover)
    {
        for (var poll = 0; poll < 100 && !Raw.StrayGenerations(Database.Path, CardId).Except(leftover).Any(); poll++)
        {
            await Task.Delay(10);
        }
    }
}
