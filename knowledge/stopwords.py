"""Words too common to narrow a search: for suggestions and the search's own word list.

PostgreSQL's text-search configurations have their own lists; these make a customer's
sentence, "how can I reset my password", find the article about resetting a password.
"""

STOP_WORDS = frozenset(
    """
    a an and are as at be but by can could do does for from has have how i if in into is it its me my no not
    of on or our please so that the their them there this to was we what when where which who why will with
    you your

    и в во не на я с со что как а то все она так его но да ты к у же вы за бы по только ее мне было вот от
    меня о из ему теперь когда даже ну ли если уже или ни быть был него до вас нибудь опять уж вам ведь там
    потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтобы без будто чего
    раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем
    чтоб нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот
    через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше
    чуть том нельзя такой им более всегда конечно всю между могу хочу
    """.split()
)
