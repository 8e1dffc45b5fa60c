using System.Diagnostics;
using System.Globalization;
using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>The fleet test runs alone: it starts real worker processes and times leases on a 2-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FleetTestGroup
{
    public const string Name = "PostgreSQL fleet";
}

/// <summary>
/// Four worker processes share forty cards of five stages in one PostgreSQL database, claiming them with
/// <see cref="PostgreSqlCheckpointRepository.ClaimNextResumableAsync"/>. The test kills workers with SIGKILL at random and
/// starts replacements, and freezes others with SIGSTOP until their card is taken over, then lets them run again.
/// </summary>
/// <remarks>
/// What can be asserted, and is (all times on the database clock):
/// <list type="number">
/// <item>Every card ends completed with every stage, and each stage's stored result names a lease (worker, token) whose
/// log row shows the stage's work finished.</item>
/// <item>Leases never overlap: for each card, a lease is granted only at or after the latest expiry that any renewal
/// of the previous token reported to its holder (<c>fleet_leases</c>). A holder's knowledge is a lower bound of its
/// lease's validity, so this is sound; it catches a claim that ignores an unexpired lease.</item>
/// <item>Accepted work never overlaps: for the stage runs whose save was ACCEPTED (<c>fleet_log</c>), runs under
/// different tokens of a card do not overlap in time and are ordered as their tokens. A run that was interrupted or
/// refused may overlap anything (a frozen worker still "works" while frozen), so it is not counted.</item>
/// <item>No write under a lost lease is accepted, by the database's own record (<c>fleet_accepted</c>, filled by a
/// trigger on the change rows): every accepted LLM response and stage record was written under the fencing token the
/// card had when the database accepted it. What the workers print, and when, is not evidence of acceptance: a worker
/// frozen between an accepted save and its "saved" line prints the line after thawing.</item>
/// <item>Every frozen-then-thawed worker reports its write refused with <see cref="CheckpointLeaseLostException"/>.
/// (The new owner's resume write usually moves the version on first, so the version check alone would refuse it too;
/// LeaseTests has the case only the fencing token can refuse.)</item>
/// </list>
/// </remarks>
[Collection(FleetTestGroup.Name)]
public sealed class FleetTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Cards = 40;
    private const int Workers = 4;
    private const int LeaseMilliseconds = 2000;
    private const int WorkMilliseconds = 150;
    private const int MinKills = 3;
    private const int MinFreezes = 2;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    private readonly string _schema = PostgresServer.NewSchema("fleet");
    private readonly List<Worker> _workers = [];
    private PostgresServer _server = null!;
    private int _nextWorker;

    public async Task InitializeAsync() => _server = await PostgresServer.GetAsync();

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            try
            {
                Signals.Thaw(worker.Child.Process.Id);
            }
            catch (InvalidOperationException)
            {
            }

            worker.Child.Dispose();
        }

        await _server.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
    }

    [Fact]
    public async Task FourWorkers_KilledAndFrozenAtRandom_CompleteEveryCard_WithoutOverlappingLeases()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"random seed {seed}; {_server.Description}");
        var watch = Stopwatch.StartNew();
        var cards = await CreateCardsAsync();

        for (var i = 0; i < Workers; i++)
        {
            await StartWorkerAsync();
        }

        var kills = new List<string>();
        var freezes = new List<Freeze>();
        var chaos = Stopwatch.StartNew();
        while (await UnfinishedAsync() > 0 && (kills.Count < MinKills || freezes.Count < MinFreezes))
        {
            chaos.Elapsed.Should().BeLessThan(RunTimeout, "the fleet must make progress");
            await Task.Delay(random.Next(300, 800));
            var live = _workers.Where(w => !w.Killed && !w.Frozen && !w.Child.Process.HasExited).ToList();
            var killable = live.Where(w => w.FrozenOn is null).ToList();
            if (kills.Count <= freezes.Count && killable.Count > 0)
            {
                var victim = killable[random.Next(killable.Count)];
                await victim.Child.KillHardAndDrainAsync();
                victim.Killed = true;
                kills.Add($"{victim.Id} at {chaos.Elapsed.TotalSeconds:0.0}s after {victim.Child.Lines.Count} lines");
                await StartWorkerAsync();
            }
            else if (live.Count > 1 && await TryFreezeAsync(live[random.Next(live.Count)], chaos) is { } freeze)
            {
                freezes.Add(freeze);
            }
        }

        output.WriteLine($"chaos done after {chaos.Elapsed.TotalSeconds:0.0}s: kills [{string.Join("; ", kills)}]");
        output.WriteLine($"freezes [{string.Join("; ", freezes)}]");
        kills.Should().HaveCountGreaterThanOrEqualTo(MinKills, "the fleet must be disturbed before it finishes");
        freezes.Should().HaveCountGreaterThanOrEqualTo(MinFreezes);

        foreach (var worker in _workers.Where(w => !w.Killed))
        {
            var code = await worker.Child.WaitForExitAsync(RunTimeout);
            code.Should().Be(0, $"worker {worker.Id} must finish cleanly; {worker.Child.Describe()}");
            worker.Child.Lines.Should().Contain("idle-done");
        }

        output.WriteLine($"fleet finished in {watch.Elapsed.TotalSeconds:0.0}s with {_workers.Count} worker processes");
        await AssertEveryCardCompletedByFinishedWorkAsync(cards);
        await AssertLeasesNeverOverlapAsync();
        await AssertAcceptedRunsNeverOverlapAsync();
        await AssertNoWriteAcceptedUnderALostLeaseAsync();
        AssertFrozenWorkersWereRefused(freezes);
    }

    private async Task<List<string>> CreateCardsAsync()
    {
        await using var repository = new PostgreSqlCheckpointRepository(_server.DataSource, new PostgreSqlCheckpointRepositoryOptions { Schema = _schema });
        await repository.MigrateAsync();
        await _server.ExecuteAsync(FleetLog.CreateTableSql(_schema));
        var cards = Enumerable.Range(0, Cards).Select(i => $"FLEET-{i:00}").ToList();
        foreach (var card in cards)
        {
            await using var manager = new CheckpointManager(card, repository);
            await manager.CreateCheckpointAsync(Fleet.Stages.Length);
        }

        return cards;
    }

    private async Task StartWorkerAsync()
    {
        var id = $"w{++_nextWorker}";
        var child = ChildProcess.Start(
            "fleet-worker",
            _server.ConnectionString,
            _schema,
            id,
            LeaseMilliseconds.ToString(CultureInfo.InvariantCulture),
            WorkMilliseconds.ToString(CultureInfo.InvariantCulture));
        _workers.Add(new Worker(id, child));
        await child.WaitForLineAsync(line => line == $"ready {id}", StartTimeout);
    }

    /// <summary>
    /// Freezes a worker that holds a valid lease on an unfinished card, waits (it cannot renew) until another worker took
    /// the card over, and thaws it. Returns <see langword="null"/>, thawing it at once, when it held no such card or the
    /// card was finished meanwhile.
    /// </summary>
    private async Task<Freeze?> TryFreezeAsync(Worker worker, Stopwatch chaos)
    {
        Signals.Freeze(worker.Child.Process.Id);
        worker.Frozen = true;
        try
        {
            var held = await HeldCardAsync(worker.Id);
            if (held is not { } lease)
            {
                return null;
            }

            var linesBefore = worker.Child.Lines.Count;
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < TimeSpan.FromSeconds(20))
            {
                var (token, status) = await CardStateAsync(lease.Card);
                if (status == "completed" && token == lease.Token)
                {
                    return null;
                }

                if (token > lease.Token)
                {
                    worker.FrozenOn = (lease.Card, lease.Token);
                    return new Freeze(worker, lease.Card, lease.Token, token, linesBefore, chaos.Elapsed);
                }

                await Task.Delay(100);
            }

            throw new TimeoutException($"no worker took card {lease.Card} over from frozen worker {worker.Id} within 20 s");
        }
        finally
        {
            Signals.Thaw(worker.Child.Process.Id);
            worker.Frozen = false;
        }
    }

    private async Task<(string Card, long Token)?> HeldCardAsync(string workerId)
    {
        await using var command = _server.DataSource.CreateCommand(
            $"""
            SELECT card_id, fencing_token FROM "{_schema}".checkpoints
            WHERE owner_id = $1 AND lease_expires_at > now() AND document_generation IS NOT NULL AND status <> 'completed'
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetString(0), reader.GetInt64(1)) : null;
    }

    private async Task<(long Token, string Status)> CardStateAsync(string cardId)
    {
        await using var command = _server.DataSource.CreateCommand($"""SELECT fencing_token, status FROM "{_schema}".checkpoints WHERE card_id = $1""");
        command.Parameters.Add(new NpgsqlParameter { Value = cardId });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetString(1));
    }

    private Task<long> UnfinishedAsync() =>
        _server.ScalarAsync<long>($"""SELECT count(*) FROM "{_schema}".checkpoints WHERE document_generation IS NOT NULL AND status <> 'completed'""");

    private async Task AssertEveryCardCompletedByFinishedWorkAsync(List<string> cards)
    {
        var log = await ReadLogAsync();
        var repository = new PostgreSqlCheckpointRepository(_server.DataSource, new PostgreSqlCheckpointRepositoryOptions { Schema = _schema });
        var takeovers = 0;
        foreach (var card in cards)
        {
            var checkpoint = await repository.LoadAsync(card);
            checkpoint!.Status.Should().Be(CheckpointStatus.Completed, $"card {card} must be completed");
            checkpoint.CompletedStages.Should().BeEquivalentTo(Fleet.Stages, $"every stage of {card} must be completed");
            foreach (var stage in Fleet.Stages)
            {
                var result = checkpoint.StageCheckpoints[stage].GetResult<FleetResult>()!;
                result.Stage.Should().Be(stage);
                log.Should().Contain(
                    row => row.Card == card && row.Stage == stage && row.Token == result.Token && row.Worker == result.Worker && row.EndedAt != null,
                    $"the stored result of {card}/{stage} (worker {result.Worker}, token {result.Token}) must come from a run whose work finished");
                checkpoint.StageCheckpoints[stage].LlmResponses.Should().HaveCountGreaterThanOrEqualTo(2, "the stage's write-ahead responses move into its record");
            }

            takeovers += log.Where(row => row.Card == card).Select(row => row.Token).Distinct().Count() - 1;
        }

        output.WriteLine($"{log.Count} stage runs logged, {log.Count(r => r.Outcome == "saved")} saved, {log.Count(r => r.Outcome == "refused")} refused, "
            + $"{log.Count(r => r.Outcome is null)} interrupted; {takeovers} takeovers of a card by another lease");
    }

    private async Task AssertLeasesNeverOverlapAsync()
    {
        await using var command = _server.DataSource.CreateCommand(
            $"""SELECT card_id, worker, token, granted_at, known_expiry FROM "{_schema}".fleet_leases ORDER BY card_id, token""");
        await using var reader = await command.ExecuteReaderAsync();
        var leases = new List<(string Card, string Worker, long Token, DateTimeOffset Granted, DateTimeOffset Expiry)>();
        while (await reader.ReadAsync())
        {
            leases.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        leases.Should().HaveCountGreaterThanOrEqualTo(Cards);
        var handovers = 0;
        foreach (var card in leases.GroupBy(lease => lease.Card))
        {
            var ordered = card.ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                var (previous, next) = (ordered[i - 1], ordered[i]);
                next.Granted.Should().BeOnOrAfter(previous.Expiry,
                    $"on card {card.Key}, token {next.Token} ({next.Worker}) may be granted only after token {previous.Token} ({previous.Worker}) expired");
                handovers++;
            }
        }

        output.WriteLine($"{leases.Count} claims logged; {handovers} handovers of a card from one lease to the next, none overlapping");
    }

    private async Task AssertAcceptedRunsNeverOverlapAsync()
    {
        var accepted = (await ReadLogAsync()).Where(row => row.Outcome == "saved").ToList();
        accepted.Should().OnlyContain(row => row.EndedAt != null);
        foreach (var card in accepted.GroupBy(row => row.Card))
        {
            var byToken = card.GroupBy(row => row.Token).OrderBy(group => group.Key)
                .Select(group => (Token: group.Key, Start: group.Min(row => row.StartedAt), End: group.Max(row => row.EndedAt!.Value)))
                .ToList();
            for (var i = 1; i < byToken.Count; i++)
            {
                byToken[i - 1].End.Should().BeBefore(byToken[i].Start,
                    $"on card {card.Key}, accepted work under token {byToken[i - 1].Token} must end before work under the newer token {byToken[i].Token} starts");
            }
        }
    }

    /// <summary>
    /// Every change row the database accepted that says whose it is (an LLM response "answer by w under token T", a stage
    /// record whose result names its token) was written under the token the card held at that moment: a write under a
    /// lease another worker had taken over would show an older token than the card's.
    /// </summary>
    private async Task AssertNoWriteAcceptedUnderALostLeaseAsync()
    {
        await using var command = _server.DataSource.CreateCommand(
            $"""SELECT card_id, version, change, token FROM "{_schema}".fleet_accepted ORDER BY id""");
        await using var reader = await command.ExecuteReaderAsync();
        var (responses, stages) = (0, 0);
        while (await reader.ReadAsync())
        {
            var (card, version, token) = (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(3));
            var change = CheckpointJson.DeserializeChange(System.Text.Encoding.UTF8.GetBytes(reader.GetString(2)), $"{card} v{version}");
            responses += change is LlmResponseCached ? 1 : 0;
            stages += change is StageRecorded ? 1 : 0;
            WriterToken(change)?.Should().Be(token, $"the change at version {version} of {card} was accepted while the card's fencing token was {token}, so it must be that lease's write");
        }

        output.WriteLine($"database record: {responses} LLM responses and {stages} stage records accepted, each under the card's current token");
        stages.Should().BeGreaterThanOrEqualTo(Cards * Fleet.Stages.Length, "every stage save goes through a change row, so the check covers them all");
    }

    /// <summary>The token a worker wrote a change under, when the change says it (the fleet's responses and stage results do).</summary>
    private static long? WriterToken(CheckpointChange change) => change switch
    {
        LlmResponseCached cached => long.Parse(cached.Response.Response[(cached.Response.Response.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture),
        StageRecorded recorded => recorded.Stage.GetResult<FleetResult>()!.Token,
        _ => null,
    };

    private static void AssertFrozenWorkersWereRefused(List<Freeze> freezes)
    {
        foreach (var freeze in freezes)
        {
            freeze.Worker.Child.Lines.Skip(freeze.LinesBefore).Should().Contain(line => line.StartsWith($"refused {freeze.Card} {freeze.Token} ", StringComparison.Ordinal),
                $"worker {freeze.Worker.Id}, thawed after losing {freeze.Card} (token {freeze.Token} -> {freeze.TakenOverWith}), must be refused");
        }
    }

    private async Task<List<LogRow>> ReadLogAsync()
    {
        await using var command = _server.DataSource.CreateCommand(
            $"""SELECT card_id, stage, worker, token, started_at, ended_at, outcome FROM "{_schema}".fleet_log ORDER BY id""");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<LogRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new LogRow(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt64(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return rows;
    }

    private sealed class Worker(string id, ChildProcess child)
    {
        public string Id { get; } = id;

        public ChildProcess Child { get; } = child;

        public bool Killed { get; set; }

        public bool Frozen { get; set; }

        public (string Card, long Token)? FrozenOn { get; set; }
    }

    private sealed record Freeze(Worker Worker, string Card, long Token, long TakenOverWith, int LinesBefore, TimeSpan At)
    {
        public override string ToString() => $"{Worker.Id} lost {Card} token {Token} -> {TakenOverWith} at {At.TotalSeconds:0.0}s";
    }

    private sealed record LogRow(string Card, string Stage, string Worker, long Token, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Outcome);
}
