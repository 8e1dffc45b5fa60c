namespace Checkpointing.Folding;

/// <summary>
/// Runs a database store's fold of change rows into a new document off the saver's path: a save whose change rows
/// outgrow the document <see cref="Request">requests</see> a fold and returns; one background fold per card runs at a time, and a request
/// that arrives meanwhile makes it check again when it ends. A failed fold is logged and tried again on the next
/// request. An explicit <see cref="CompactAsync"/> waits for the card's running fold and then folds while the caller
/// waits; <see cref="CloseAsync"/> waits for every running fold, then folds every card whose fold is still due.
/// </summary>
/// <param name="fold">Folds a card (card, only if due, cancellation); the SQLite and PostgreSQL stores' folds.</param>
/// <param name="failed">Logs a fold that failed in the background or on close (card, error); it is tried again later.</param>
internal sealed class BackgroundFolds(FoldCard fold, Action<string, Exception> failed)
{
    private const int MaxExplicitAttempts = 3;
    private readonly object _gate = new();
    private readonly Dictionary<string, CardFolds> _cards = new(StringComparer.Ordinal);
    private bool _closed;

    /// <summary>Starts a background fold of the card if none runs; otherwise makes the running one check again when it ends.</summary>
    public void Request(string cardId)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            var card = CardFor(cardId);
            card.Due = true;
            if (card.Background is { IsCompleted: false })
            {
                card.Again = true;
                return;
            }

            card.Again = false;
            card.Background = Task.Run(() => RunInBackgroundAsync(cardId, card));
        }
    }

    /// <summary>Waits for the card's running fold, then folds every change row while the caller waits.</summary>
    public async Task CompactAsync(string cardId, CancellationToken cancellationToken)
    {
        CardFolds card;
        lock (_gate)
        {
            card = CardFor(cardId);
        }

        await card.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A fold dropped because another writer replaced the document folds again what that left (a few tries: each
            // drop means some other writer made progress).
            for (var attempt = 0; attempt < MaxExplicitAttempts; attempt++)
            {
                if (await fold(cardId, onlyIfDue: false, cancellationToken).ConfigureAwait(false) != FoldOutcome.Dropped)
                {
                    break;
                }
            }

            lock (_gate)
            {
                card.Due = false;
            }
        }
        finally
        {
            card.Gate.Release();
        }
    }

    /// <summary>Stops new background folds, waits for the running ones, then folds every card whose fold is still due (failures are logged).</summary>
    public async Task CloseAsync()
    {
        CardFolds[] cards;
        lock (_gate)
        {
            _closed = true;
            cards = [.. _cards.Values];
        }

        await Task.WhenAll(cards.Select(c => c.Background ?? Task.CompletedTask)).ConfigureAwait(false);
        foreach (var card in cards.Where(c => c.Due))
        {
            try
            {
                await fold(card.CardId, onlyIfDue: true, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Disposal never throws past a durable state: every change row is still stored.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failed(card.CardId, ex);
            }
        }
    }

    /// <summary>Completes when no background fold of the card runs (tests).</summary>
    internal async Task WhenIdleAsync(string cardId)
    {
        while (true)
        {
            Task? running;
            lock (_gate)
            {
                running = _cards.TryGetValue(cardId, out var card) ? card.Background : null;
            }

            if (running is null || running.IsCompleted)
            {
                return;
            }

            await running.ConfigureAwait(false);
        }
    }

    private CardFolds CardFor(string cardId)
    {
        if (!_cards.TryGetValue(cardId, out var card))
        {
            card = new CardFolds(cardId);
            _cards.Add(cardId, card);
        }

        return card;
    }

    /// <summary>The background fold's loop: fold, and again while requests came in meanwhile. Never throws.</summary>
    private async Task RunInBackgroundAsync(string cardId, CardFolds card)
    {
        // Dispose waits for this fold rather than cancelling it, so it takes no token of its own.
        await card.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            while (true)
            {
                await fold(cardId, onlyIfDue: true, CancellationToken.None).ConfigureAwait(false);
                lock (_gate)
                {
                    if (!card.Again || _closed)
                    {
                        card.Due = card.Again;
                        return;
                    }

                    card.Again = false;
                }
            }
        }
#pragma warning disable CA1031 // A background fold's failure is logged; the change rows keep every save, and the next request retries.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failed(cardId, ex);
        }
        finally
        {
            card.Gate.Release();
        }
    }

    /// <summary>One card's fold state; every field but <see cref="Gate"/> is read and written under the owner's lock.</summary>
    private sealed class CardFolds(string cardId)
    {
        public string CardId { get; } = cardId;

        /// <summary>Gets the gate that lets one fold of the card (background or explicit) run at a time.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public Task? Background { get; set; }

        /// <summary>Gets or sets a value indicating whether a fold was requested and has not finished since (it failed, or runs).</summary>
        public bool Due { get; set; }

        /// <summary>Gets or sets a value indicating whether a request came in while the background fold ran.</summary>
        public bool Again { get; set; }
    }
}
