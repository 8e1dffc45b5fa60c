using System.Globalization;
using System.Text.RegularExpressions;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Tests.Integration;

/// <summary>
/// Several processes update one card through the library at the same time. A plain read-modify-write store keeps a
/// fraction of the updates; this one must keep every one, and tell the losers of each race so they can retry.
/// </summary>
[Collection(RealProcessTests.Name)]
public sealed partial class LostUpdatesTests(ITestOutputHelper output)
{
    private const int Workers = 4;
    private const int UpdatesPerWorker = 500;
    private const string CardId = "CONTENDED";

    [Fact]
    public async Task FourProcessesUpdatingOneCard_KeepAllTwoThousandUpdates_AndTheLosersAreRefusedNeverSilenced()
    {
        using var temp = new TempDirectory();
        var children = new List<ChildProcess>();
        try
        {
            for (var w = 0; w < Workers; w++)
            {
                children.Add(ChildProcess.Start("updater", temp.Path, CardId, $"w{w}", UpdatesPerWorker.ToString(CultureInfo.InvariantCulture)));
            }

            // Every worker is up before any starts, so they really race.
            foreach (var child in children)
            {
                await child.WaitForLineAsync(line => line == "ready", TimeSpan.FromSeconds(60));
            }

            foreach (var child in children)
            {
                await child.SendLineAsync("go");
            }

            var watch = System.Diagnostics.Stopwatch.StartNew();
            int saved = 0, locked = 0, conflicts = 0;
            foreach (var child in children)
            {
                var exitCode = await child.WaitForExitAsync(TimeSpan.FromMinutes(12));
                exitCode.Should().Be(0, child.Describe());
                var done = child.Lines.Select(line => DoneLine().Match(line)).Single(match => match.Success);
                output.WriteLine(done.Value);
                saved += int.Parse(done.Groups["saved"].Value, CultureInfo.InvariantCulture);
                locked += int.Parse(done.Groups["locked"].Value, CultureInfo.InvariantCulture);
                conflicts += int.Parse(done.Groups["conflicts"].Value, CultureInfo.InvariantCulture);
            }

            output.WriteLine($"{Workers} x {UpdatesPerWorker} updates done in {watch.Elapsed.TotalSeconds:0.0} s; refused: {locked} locked, {conflicts} conflicts");
            saved.Should().Be(Workers * UpdatesPerWorker);
            (locked + conflicts).Should().BeGreaterThan(0, "workers racing for one card must have been told they lost (CheckpointLockedException or CheckpointConflictException)");

            var stored = await new FileSystemCheckpointRepository(temp.Path).LoadAsync(CardId);
            stored.Should().NotBeNull();
            var expected = Enumerable.Range(0, Workers)
                .SelectMany(w => Enumerable.Range(0, UpdatesPerWorker).Select(i => $"w{w}-{i}"))
                .ToList();
            expected.Except(stored!.StageCheckpoints.Keys, StringComparer.Ordinal).Should().BeEmpty("every one of the 2000 updates must be kept");
            stored.StageCheckpoints.Should().HaveCount(expected.Count);
            stored.CompletedStages.Order(StringComparer.Ordinal).Should().Equal(expected.Order(StringComparer.Ordinal));
            stored.ResumeCount.Should().Be((Workers * UpdatesPerWorker) - 1, "every update but the one that created the card resumed it");
            expected.Where(name => stored.StageCheckpoints[name].GetResult<int>() != int.Parse(name[(name.IndexOf('-') + 1)..], CultureInfo.InvariantCulture))
                .Should().BeEmpty("each stage holds the result its update saved");
        }
        finally
        {
            foreach (var child in children)
            {
                child.Dispose();
            }
        }
    }

    [GeneratedRegex(@"^done w\d+ saved=(?<saved>\d+) locked=(?<locked>\d+) conflicts=(?<conflicts>\d+)$")]
    private static partial Regex DoneLine();
}
