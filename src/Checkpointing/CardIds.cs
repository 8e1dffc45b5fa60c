namespace Checkpointing;

/// <summary>The rules every store applies to card ids, so that a card that one store accepts, all accept.</summary>
public static class CardIds
{
    /// <summary>Checks that a card id can be stored: not empty, not only white space, no control characters, valid Unicode.</summary>
    /// <param name="cardId">The card id.</param>
    /// <param name="paramName">The parameter name reported in the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="cardId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The id is empty, white space, has control characters or an unpaired surrogate.</exception>
    /// <remarks>Anything else is allowed: stores map ids such as <c>../x</c> or <c>CON</c> to safe keys themselves.</remarks>
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
