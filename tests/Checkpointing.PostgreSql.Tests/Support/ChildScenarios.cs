using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Checkpointing.Tests.Support;

namespace Checkpointing.PostgreSql.Tests.Support;

/// <summary>Scenarios a test runs in a real child process; each reports progress on stdout, one line per step that returned.</summary>
/// <remarks>Every scenario that loops gives up after <see cref="SafetyLimit"/>, so a child orphaned by a crashed test runner stops.</remarks>
public static class ChildScenarios
{
    private static readonly TimeSpan SafetyLimit = TimeSpan.FromMinutes(3);

    /// <summary>Starts the named scenario, or returns <see langword="null"/> for a name this assembly does not know.</summary>
    public static Task<int>? Find(string scenario, string[] args) => scenario switch
    {
        "fleet-worker" => FleetWorkerAsync(args[0], args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture)),
        "fold-loop" => FoldLoopScenario.RunAsync(args[0], args[1], args[2]),
        _ => null,
    };

    /// <summary>
    /// One worker of the fleet: claims the next resumable card, resumes it with a <see cref="CheckpointManager"/> over the
    /// claiming repository, runs its remaining stages (each: log start, set current stage, two write-ahead LLM responses
    /// with about <c>workMilliseconds</c> of work before each, log end, save the stage, log "saved"), marks it completed, and claims the next, until no card
    /// is left unfinished. A write refused for a lost lease is logged "refused" and the worker moves on.
    /// Prints <c>ready</c>, <c>claim &lt;card&gt; &lt;token&gt;</c>, <c>start|saved &lt;card&gt; &lt;stage&gt; &lt;token&gt;</c>,
    /// <c>completed &lt;card&gt; &lt;token&gt;</c>, <c>refused &lt;card&gt; &lt;token&gt; &lt;current token&gt;</c>, <c>idle-done</c>.
    /// </summary>
    private static async Task<int> FleetWorkerAsync(string connectionString, string schema, string workerId, int leaseMilliseconds, int workMilliseconds)
    {
        var leaseDuration = TimeSpan.FromMilliseconds(leaseMilliseconds);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (dataSource)
        {
            var repository = new PostgreSqlCheckpointRepository(
                dataSource, new PostgreSqlCheckpointRepositoryOptions { Schema = schema, WorkerId = workerId, LeaseDuration = leaseDuration });
            await using (repository)
            {
                var log = new FleetLog(dataSource, schema);
                var options = new CheckpointManagerOptions { LockTimeout = TimeSpan.Zero };
                Console.WriteLine($"ready {workerId}");
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < SafetyLimit)
                {
                    var claim = await repository.ClaimNextResumableAsync(workerId, leaseDuration);
                    if (claim is null)
                    {
                        if (await log.UnfinishedCardsAsync() == 0)
                        {
                            Console.WriteLine("idle-done");
                            return 0;
                        }

                        await Task.Delay(50);
                        continue;
                    }

                    await using (claim)
                    {
                        await RunCardAsync(repository, claim, log, options, workerId, workMilliseconds);
                    }
                }

                Console.WriteLine("gave-up");
                return ChildProcessMain.Failed;
            }
        }
    }

    private static async Task RunCardAsync(
        PostgreSqlCheckpointRepository repository, CardClaim claim, FleetLog log, CheckpointManagerOptions options, string workerId, int workMilliseconds)
    {
        var (card, token) = (claim.CardId, claim.FencingToken);
        Console.WriteLine($"claim {card} {token}");
        await log.LeaseGrantedAsync(card, workerId, token, claim.LeaseExpiresAt - claim.LeaseDuration, claim.LeaseExpiresAt);
        long? row = null;
        try
        {
            var manager = new CheckpointManager(card, repository, options);
            await using (manager)
            {
                if (await manager.ResumeAsync() is null)
                {
                    Console.WriteLine($"not-resumable {card} {token}");
                    return;
                }

                while (manager.GetNextStage(Fleet.Stages) is { } stage)
                {
                    row = await log.StartAsync(card, stage, workerId, token);
                    Console.WriteLine($"start {card} {stage} {token}");
                    await manager.SetCurrentStageAsync(stage);
                    for (var i = 0; i < 2; i++)
                    {
                        await Task.Delay(Random.Shared.Next(workMilliseconds / 2, workMilliseconds * 3 / 2));
                        await manager.CacheLlmResponseAsync(stage, new LlmResponse($"{card}/{stage}/q{i}", $"answer by {workerId} under token {token}") { Model = "fleet" });
                    }

                    await log.EndAsync(row.Value);
                    await manager.SaveStageCheckpointAsync(stage, StageStatus.Completed, result: new FleetResult(workerId, token, stage));
                    await log.OutcomeAsync(row.Value, "saved");
                    await log.LeaseRenewedAsync(card, token, claim.LeaseExpiresAt);
                    row = null;
                    Console.WriteLine($"saved {card} {stage} {token}");
                }

                await manager.MarkCompletedAsync();
                await log.LeaseRenewedAsync(card, token, claim.LeaseExpiresAt);
                Console.WriteLine($"completed {card} {token}");
            }
        }
        catch (CheckpointLeaseLostException ex)
        {
            if (row is { } refusedRow)
            {
                await log.OutcomeAsync(refusedRow, "refused");
            }

            Console.WriteLine($"refused {card} {token} {ex.CurrentToken}");
        }
    }
}

/// <summary>The fleet test's pipeline and the record each stage stores as its result.</summary>
public static class Fleet
{
    public static readonly string[] Stages = ["extract", "classify", "summarize", "review", "publish"];
}

/// <summary>What a fleet worker stores as a stage's result: who ran it, under which lease.</summary>
public sealed record FleetResult(string Worker, long Token, string Stage);

/// <summary>
/// The fleet test's own log tables, written by the workers with the database clock. <c>fleet_log(card, stage, worker,
/// token, started_at, ended_at, outcome)</c>: <c>started_at</c> (<c>clock_timestamp()</c>) after the claim returned and
/// before the stage's first write, <c>ended_at</c> after its work and before the stage is saved, <c>outcome</c> after the
/// save returned (<c>saved</c>) or was refused (<c>refused</c>); a killed worker leaves it null.
/// <c>fleet_leases(card, worker, token, granted_at, known_expiry)</c>: each claim's grant time and the latest expiry its
/// renewals reported to the worker (the lease was valid at least over that interval).
/// <c>fleet_accepted(id, card_id, version, change, token)</c>: written by the database itself, a trigger on the store's
/// <c>checkpoint_changes</c>: every change row the store accepted (kept after compaction deletes the row), with the
/// card's fencing token at that moment. What a worker prints, and when, does not matter to it.
/// </summary>
public sealed class FleetLog(NpgsqlDataSource dataSource, string schema)
{
    public static string CreateTableSql(string schema) => $"""
        CREATE TABLE "{schema}".fleet_leases (
            card_id text NOT NULL,
            worker text NOT NULL,
            token bigint NOT NULL,
            granted_at timestamptz NOT NULL,
            known_expiry timestamptz NOT NULL,
            PRIMARY KEY (card_id, token)
        );
        CREATE TABLE "{schema}".fleet_log (
            id bigserial PRIMARY KEY,
            card_id text NOT NULL,
            stage text NOT NULL,
            worker text NOT NULL,
            token bigint NOT NULL,
            started_at timestamptz NOT NULL,
            ended_at timestamptz,
            outcome text
        );
        CREATE TABLE "{schema}".fleet_accepted (
            id bigserial PRIMARY KEY,
            card_id text NOT NULL,
            version bigint NOT NULL,
            change text NOT NULL,
            token bigint NOT NULL
        );
        CREATE FUNCTION "{schema}".fleet_record_accepted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO "{schema}".fleet_accepted (card_id, version, change, token)
            SELECT NEW.card_id, NEW.version, NEW.change::text, c.fencing_token FROM "{schema}".checkpoints c WHERE c.card_id = NEW.card_id;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER fleet_record_accepted AFTER INSERT ON "{schema}".checkpoint_changes
            FOR EACH ROW EXECUTE FUNCTION "{schema}".fleet_record_accepted();
        """;

    /// <summary>Records a lease the worker was granted: from the database's grant time to the expiry the grant returned.</summary>
    public async Task LeaseGrantedAsync(string card, string worker, long token, DateTimeOffset grantedAt, DateTimeOffset expiresAt)
    {
        await using var command = dataSource.CreateCommand(
            $"""INSERT INTO "{schema}".fleet_leases (card_id, worker, token, granted_at, known_expiry) VALUES ($1, $2, $3, $4, $5)""");
        command.Parameters.Add(new NpgsqlParameter { Value = card });
        command.Parameters.Add(new NpgsqlParameter { Value = worker });
        command.Parameters.Add(new NpgsqlParameter { Value = token });
        command.Parameters.Add(new NpgsqlParameter { Value = grantedAt });
        command.Parameters.Add(new NpgsqlParameter { Value = expiresAt });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Records the latest expiry a renewal of the lease returned (the lease was valid at least until then).</summary>
    public async Task LeaseRenewedAsync(string card, long token, DateTimeOffset expiresAt)
    {
        await using var command = dataSource.CreateCommand(
            $"""UPDATE "{schema}".fleet_leases SET known_expiry = greatest(known_expiry, $3) WHERE card_id = $1 AND token = $2""");
        command.Parameters.Add(new NpgsqlParameter { Value = card });
        command.Parameters.Add(new NpgsqlParameter { Value = token });
        command.Parameters.Add(new NpgsqlParameter { Value = expiresAt });
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> StartAsync(string card, string stage, string worker, long token)
    {
        await using var command = dataSource.CreateCommand(
            $"""INSERT INTO "{schema}".fleet_log (card_id, stage, worker, token, started_at) VALUES ($1, $2, $3, $4, clock_timestamp()) RETURNING id""");
        command.Parameters.Add(new NpgsqlParameter { Value = card });
        command.Parameters.Add(new NpgsqlParameter { Value = stage });
        command.Parameters.Add(new NpgsqlParameter { Value = worker });
        command.Parameters.Add(new NpgsqlParameter { Value = token });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task EndAsync(long id)
    {
        await using var command = dataSource.CreateCommand($"""UPDATE "{schema}".fleet_log SET ended_at = clock_timestamp() WHERE id = $1""");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync();
    }

    public async Task OutcomeAsync(long id, string outcome)
    {
        await using var command = dataSource.CreateCommand($"""UPDATE "{schema}".fleet_log SET outcome = $2 WHERE id = $1""");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = outcome });
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> UnfinishedCardsAsync()
    {
        await using var command = dataSource.CreateCommand(
            $"""SELECT count(*) FROM "{schema}".checkpoints WHERE document_generation IS NOT NULL AND status <> 'completed'""");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
