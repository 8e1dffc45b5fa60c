using System.Globalization;
using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>
/// A child process caches LLM responses as fast as it can while its store folds the change rows in the background all
/// the time; the test kills it with SIGKILL, mostly while a fold has written some of its new document's chunks or all of
/// them and not switched to it, and after every kill checks that every save the child reported as returned is stored, and
/// that the next owner goes on.
/// </summary>
public sealed class FoldKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Kills = 15;
    private const string CardId = "FOLD-KILL";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _schema = PostgresServer.NewSchema("foldkill");
    private PostgresServer _server = null!;

    public async Task InitializeAsync() => _server = await PostgresServer.GetAsync();

    public async Task DisposeAsync() => await _server.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");

    [Fact]
    public async Task SigkillDuringBackgroundFolds_LosesNoReturnedSave_AndTheNextOwnerFinishesTheFold()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"random seed {seed}");
        var random = new Random(seed);
        var reported = new SortedSet<long>();
        var lastLoaded = 0L;
        var midFold = 0;
        var betweenChunks = 0;
        IReadOnlySet<long> leftover = new HashSet<long>();
        for (var run = 0; run < Kills; run++)
        {
            IReadOnlyList<string> lines;
            using (var child = ChildProcess.Start("fold-loop", ChildConnectionString, _schema, CardId))
            {
                var open = await child.WaitForFirstLineAsync(StartTimeout);
                var expectedOpen = run == 0 ? 1 : lastLoaded;
                open.Should().Be(string.Create(CultureInfo.InvariantCulture, $"open {expectedOpen}"), "the child resumes what was loaded after the last kill");
                await Task.Delay(random.Next(20, 151));
                await WaitForANewFoldUnderWayAsync(leftover);
                if (run % 2 == 0)
                {
                    // Every other kill aims between two chunks: right after a chunk the child reports from now on, in the
                    // pause it takes after each chunk. (Left to chance, too few kills landed there in some runs.)
                    var seen = child.Lines.Count;
                    var index = 0;
                    await child.WaitForLineAsync(line => index++ >= seen && line == FoldLoopScenario.ChunkLine, StartTimeout);
                }

                child.Process.HasExited.Should().BeFalse($"the child of run {run} must still be working when it is killed; {child.Describe()}");
                lines = await child.KillHardAndDrainAsync();
            }

            // A statement the child sent just before it died may still commit: the state is final once its server processes are gone.
            await WaitForTheChildsConnectionsToCloseAsync(run);

            var stray = await PostgreSqlRaw.StrayGenerationsAsync(_server, _schema, CardId);
            if (stray.Except(leftover).Any())
            {
                midFold++;
            }

            leftover = stray;
            if (lines.LastOrDefault(l => l is FoldLoopScenario.ChunkLine or FoldLoopScenario.WrittenLine) == FoldLoopScenario.ChunkLine)
            {
                betweenChunks++;
            }

            foreach (var line in lines.Where(l => l.StartsWith("saved ", StringComparison.Ordinal)))
            {
                reported.Add(long.Parse(line["saved ".Length..], CultureInfo.InvariantCulture));
            }

            var loaded = await NewRepository().LoadAsync(CardId);
            loaded.Should().NotBeNull($"the card must load after kill {run}");
            loaded!.Version.Should().BeGreaterThanOrEqualTo(Math.Max(lastLoaded, reported.Count == 0 ? 0 : reported.Max), $"every save the child reported is durable (kill {run})");
            AssertHolds(loaded, reported, run);
            lastLoaded = loaded.Version;

            // The killed child's lease would expire on the database clock after LeaseDuration; the test moves it there at once.
            await ExpireLeaseAsync();
        }

        output.WriteLine(
            $"{Kills} kills, {midFold} of them with a new fold's chunks written and not switched in, {betweenChunks} of them between two chunks; {reported.Count} saves reported; final version {lastLoaded}");
        reported.Count.Should().BeGreaterThan(Kills * 4, "the children must get real work done between kills for the test to mean anything");
        midFold.Should().BeGreaterThanOrEqualTo(Kills / 3, "kills must land while a fold is under way, or the test proves nothing about them");
        betweenChunks.Should().BeGreaterThanOrEqualTo(Kills / 5, "kills must land between two chunks of a fold, or the test proves nothing about them");

        // A last owner takes the card, folds what the killed folds left and reads everything.
        await using var owner = NewRepository();
        await using (var ownership = await owner.AcquireOwnershipAsync(CardId, TimeSpan.FromSeconds(30)))
        {
            await owner.CompactAsync(CardId);
        }

        (await PostgreSqlRaw.StrayDocumentsAsync(_server, _schema, CardId)).Should().Be(0, "the next fold's switch removes the documents of killed folds");
        (await _server.ScalarAsync<long>($"SELECT count(*) FROM \"{_schema}\".checkpoint_changes")).Should().Be(0);
        var final = (await NewRepository().LoadAsync(CardId))!;
        final.Version.Should().Be(lastLoaded);
        AssertHolds(final, reported, Kills);
    }

    private static void AssertHolds(PipelineCheckpoint loaded, IEnumerable<long> reported, int run)
    {
        var prompts = loaded.PendingLlmResponses.TryGetValue("stage", out var pending) ? pending.Select(r => r.Prompt).ToHashSet(StringComparer.Ordinal) : [];
        foreach (var version in reported)
        {
            prompts.Should().Contain(FoldLoopScenario.Prompt(version), $"the save of version {version} was reported as returned (kill {run})");
        }
    }

    /// <summary>Gets the children's connection string, with an application name that tells their server processes apart.</summary>
    private string ChildConnectionString => new NpgsqlConnectionStringBuilder(_server.ConnectionString) { ApplicationName = _schema }.ConnectionString;

    private async Task WaitForTheChildsConnectionsToCloseAsync(int run)
    {
        for (var poll = 0; poll < 3000; poll++)
        {
            if (await _server.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", _schema) == 0)
            {
                return;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"the server still runs connections of the child killed in run {run} after 30 s");
    }

    private PostgreSqlCheckpointRepository NewRepository() =>
        new(_server.DataSource, new PostgreSqlCheckpointRepositoryOptions { Schema = _schema });

    private Task ExpireLeaseAsync() =>
        _server.ExecuteAsync($"UPDATE \"{_schema}\".checkpoints SET lease_expires_at = now() - interval '1 second' WHERE card_id = '{CardId}'");

    /// <summary>Polls (at most a second) until a fold of this child has written a document that is not switched in yet.</summary>
    private async Task WaitForANewFoldUnderWayAsync(IReadOnlySet<long> leftover)
    {
        for (var poll = 0; poll < 100 && !(await PostgreSqlRaw.StrayGenerationsAsync(_server, _schema, CardId)).Except(leftover).Any(); poll++)
        {
            await Task.Delay(10);
        }
    }
}
