using System.Globalization;
using Checkpointing.Ownership;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkpointing.PostgreSql;

/// <summary>
/// The fence on writes: a write under a lease carries its token and owner, a write without one goes in only while nobody
/// holds a valid lease. When a fenced write matched no row, this reads the card's state and raises the error it deserves.
/// </summary>
internal sealed class PostgreSqlFence(PostgreSqlDatabase database, ILogger logger)
{
    /// <summary>Adds the lease's token, owner and duration to a fenced statement (nothing for a write without a lease).</summary>
    public static void Add(NpgsqlCommand command, HeldLease? lease)
    {
        if (lease is null)
        {
            return;
        }

        command.Parameters.AddWithValue("token", lease.Token);
        command.Parameters.AddWithValue("worker", lease.OwnerId);
        command.Parameters.AddWithValue("lease", lease.Duration);
    }

    /// <summary>Reads a card's version and lease, without its document.</summary>
    public async Task<CardState?> InspectAsync(NpgsqlConnection connection, string cardId, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(database.Sql.Inspect, connection);
        command.Parameters.AddWithValue("card", cardId);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new CardState(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetBoolean(3),
            reader.GetBoolean(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
            reader.IsDBNull(6) ? null : reader.GetInt64(6),
            reader.GetInt64(7),
            reader.GetInt64(8));
    }

    /// <summary>Raises the error a fenced write that matched no row deserves, if the fence (not the version) refused it.</summary>
    public void ThrowIfFenced(string cardId, HeldLease? lease, CardState? state)
    {
        if (lease is not null)
        {
            if (state is null || state.Token != lease.Token || !string.Equals(state.Owner, lease.OwnerId, StringComparison.Ordinal))
            {
                if (lease.MarkLost())
                {
                    PostgreSqlLog.LeaseLost(logger, cardId, lease.Token);
                }

                throw new CheckpointLeaseLostException(cardId, lease.Token, state?.Token ?? 0, state is { Leased: true } ? state.Owner : null);
            }
        }
        else if (state is { Leased: true })
        {
            throw Locked(cardId, state, TimeSpan.Zero);
        }
    }

    /// <summary>The error for a card another lease holds (or, with <paramref name="heldHere"/>, another handle of this repository).</summary>
    public CheckpointLockedException Locked(string cardId, CardState? state, TimeSpan waited, bool heldHere = false)
    {
        var holder = heldHere
            ? "held by another handle of this repository"
            : state is { Leased: true }
                ? string.Create(CultureInfo.InvariantCulture, $"leased by worker '{state.Owner}' with fencing token {state.Token} until {state.LeaseExpiresAt:O} (database clock; the lease of a worker that crashed lapses by itself then)")
                : "lease just released";
        return new CheckpointLockedException(cardId, $"{database.Errors.Location} {database.Schema.Name}.checkpoints card '{cardId}', {holder}", waited);
    }

    /// <summary>A card's row without its document.</summary>
    public sealed record CardState(
        long Version, long Token, string? Owner, bool Leased, bool HasDocument, DateTimeOffset? LeaseExpiresAt, long? DocumentGeneration, long DocumentBytes, long ChangesBytes);
}
