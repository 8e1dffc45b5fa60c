namespace Checkpointing.Sqlite;

/// <summary>The card ids every store accepts: not empty, not only white space, no control characters, valid UTF-16.</summary>
internal static class CardIds
{
    /// <summary>Checks a card id.</summary>
    /// <exception cref="ArgumentNullException">The id is null.</exception>
    /// <exception cref="ArgumentException">The id is empty, white space, has control characters or a lone surrogate.</exception>
    public static void Validate(string cardId, string paramName = "cardId")
    {
        ArgumentNullException.ThrowIfNull(cardId, paramName);
        if (string.IsNullOrWhiteSpace(cardId))
        {
            throw new ArgumentException("A card id must not be empty or white space.", paramName);
        }

        for (var i = 0; i < cardId.Length; i++)
        {
            var c = cardId[i];
            if (char.IsControl(c))
            {
                throw new ArgumentException($"A card id must not contain control characters (found U+{(int)c:X4}).", paramName);
            }

            if (char.IsHighSurrogate(c) && i + 1 < cardId.Length && char.IsLowSurrogate(cardId[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException("A card id must be valid Unicode (it contains an unpaired surrogate).", paramName);
            }
        }
    }
}
