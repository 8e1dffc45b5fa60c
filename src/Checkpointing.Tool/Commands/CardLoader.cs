using Checkpointing.Tool.Output;
using Checkpointing.Tool.Stores;

namespace Checkpointing.Tool.Commands;

/// <summary>Loads cards without ownership, each as its merged state (snapshot plus journal or change rows).</summary>
internal static class CardLoader
{
    public static async Task<(IReadOnlyList<CardSummary> Cards, IReadOnlyList<(string CardId, string Error)> Unreadable)> LoadAllAsync(
        OpenStore store, CardFilter filter, CancellationToken cancellationToken)
    {
        var cards = new List<CardSummary>();
        var unreadable = new List<(string, string)>();
        foreach (var cardId in await store.Repository.ListCardIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                // A card deleted between listing and loading is simply gone.
                if (await store.Repository.LoadAsync(cardId, cancellationToken).ConfigureAwait(false) is { } checkpoint && filter.Matches(checkpoint))
                {
                    cards.Add(CardSummary.Of(checkpoint, store.SizeOf(checkpoint)));
                }
            }
            catch (CheckpointException ex)
            {
                unreadable.Add((cardId, ex.Message));
            }
        }

        return (cards, unreadable);
    }

    /// <summary>Loads one card, or explains that the store has none.</summary>
    public static async Task<PipelineCheckpoint> LoadOneAsync(OpenStore store, string cardId, CancellationToken cancellationToken) =>
        await store.Repository.LoadAsync(cardId, cancellationToken).ConfigureAwait(false)
            ?? throw new CheckpointNotFoundException(NotFound(cardId, store));

    /// <summary>A read command's words for a card the store has no checkpoint for (a read changes nothing, so it does not say so).</summary>
    public static string NotFound(string cardId, OpenStore store) =>
        $"card '{cardId}' has no checkpoint in {store.Spec.Display}. Check the card id and the store.";
}
