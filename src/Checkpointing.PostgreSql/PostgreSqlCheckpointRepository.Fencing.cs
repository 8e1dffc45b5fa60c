using System.Globalization;
using Npgsql;

namespace Checkpointing.PostgreSql;

public sealed partial class PostgreSqlCheckpointRepository
{
    private static void AddFence(NpgsqlCommand command, CardLease? lease)
    {
        if (lease is null)
        {
            return;
        }

        command.Parameters.AddWithValue("token", lease.Token);
        command.Parameters.AddWithValue("worker", lease.WorkerId);
        command.Parameters.AddWithValue("lease", lease.Duration);
    }

    private async Task<CardState?> InspectAsync(NpgsqlConnection connection, string cardId, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(_sql.Inspect, connection);
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
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
    }

    /// <summary>Raises the error a fenced write that matched no row deserves, if the fence (not the version) refused it.</summary>
    private void ThrowIfFenced(string cardId, CardLease? lease, CardState? state)
    {
        if (lease is not null)
        {
            if (state is null || state.Token != lease.Token || !string.Equals(state.Owner, lease.WorkerId, StringComparison.Ordinal))
            {
                if (lease.MarkLost())
                {
                    PostgreSqlLog.LeaseLost(_logger, cardId, lease.Token);
                }

                throw new CheckpointLeaseLostException(cardId, lease.Token, state?.Token ?? 0, state is { Leased: true } ? state.Owner : null);
            }
        }
        else if (state is { Leased: true })
        {
            throw Locked(cardId, state, TimeSpan.Zero);
        }
    }

    private CheckpointLockedException Locked(string cardId, CardState? state, TimeSpan waited, bool heldHere = false)
    {
        var holder = heldHere
            ? "held by another handle of this repository"
            : state is { Leased: true }
                ? string.Create(CultureInfo.InvariantCulture, $"leased by worker '{state.Owner}' with fencing token {state.Token} until {state.LeaseExpiresAt:O} (database clock)")
                : "lease just released";
        return new CheckpointLockedException(cardId, $"postgresql://{_host}:{_port}/{_database} {_schema.Name}.checkpoints card '{cardId}', {holder}", waited);
    }

    private sealed record CardState(long Version, long Token, string? Owner, bool Leased, bool HasDocument, DateTimeOffset? LeaseExpiresAt);
}
