# ruff: noqa: RUF001 - Ukrainian words are written in Cyrillic on purpose
"""Word lists the seeder draws from: Polish, Ukrainian and Spanish people and support texts."""

from __future__ import annotations

# (first name, gender); surnames as "masculine|feminine" where the form changes.
POLISH_FIRST = [
    ("Anna", "f"), ("Katarzyna", "f"), ("Małgorzata", "f"), ("Agnieszka", "f"),
    ("Ewa", "f"), ("Zofia", "f"), ("Magdalena", "f"), ("Joanna", "f"), ("Żaneta", "f"),
    ("Piotr", "m"), ("Krzysztof", "m"), ("Tomasz", "m"), ("Łukasz", "m"), ("Paweł", "m"),
    ("Michał", "m"), ("Grzegorz", "m"), ("Jakub", "m"), ("Wojciech", "m"), ("Bartłomiej", "m"),
]  # fmt: skip
POLISH_SURNAMES = [
    "Nowak", "Kowalski|Kowalska", "Wiśniewski|Wiśniewska", "Wójcik", "Kowalczyk",
    "Kamiński|Kamińska", "Lewandowski|Lewandowska", "Zieliński|Zielińska", "Woźniak",
    "Szymański|Szymańska", "Dąbrowski|Dąbrowska", "Kozłowski|Kozłowska", "Mazur",
    "Jankowski|Jankowska", "Krawczyk", "Grabowski|Grabowska", "Zając", "Król",
    "Pawłowski|Pawłowska",
]  # fmt: skip
POLISH_CITIES = ["Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk", "Szczecin", "Lublin"]
POLISH_DOMAINS = ["wp.pl", "o2.pl", "onet.pl", "interia.pl", "op.pl", "poczta.fm"]
POLISH_COMPANIES = ["Drukarnia Wisła sp. z o.o.", "Piekarnia Złoty Kłos", "TransBud S.A.", None]

# Ukrainian names: (Cyrillic, Latin transliteration, gender).
UKRAINIAN_FIRST = [
    ("Олена", "olena", "f"), ("Оксана", "oksana", "f"), ("Наталія", "nataliia", "f"),
    ("Ірина", "iryna", "f"), ("Юлія", "yuliia", "f"), ("Тетяна", "tetiana", "f"),
    ("Олександр", "oleksandr", "m"), ("Андрій", "andrii", "m"), ("Дмитро", "dmytro", "m"),
    ("Сергій", "serhii", "m"), ("Тарас", "taras", "m"), ("Богдан", "bohdan", "m"),
]  # fmt: skip
UKRAINIAN_SURNAMES = [
    ("Шевченко", "shevchenko"), ("Коваленко", "kovalenko"), ("Бондаренко", "bondarenko"),
    ("Ткаченко", "tkachenko"), ("Кравченко", "kravchenko"), ("Олійник", "oliinyk"),
    ("Мельник", "melnyk"), ("Шевчук", "shevchuk"), ("Поліщук", "polishchuk"),
    ("Бойко", "boiko"), ("Лисенко", "lysenko"), ("Марченко", "marchenko"), ("Руденко", "rudenko"),
]  # fmt: skip
UKRAINIAN_CITIES = ["Київ", "Львів", "Харків", "Одеса", "Дніпро", "Вінниця"]
UKRAINIAN_DOMAINS = ["ukr.net", "i.ua", "meta.ua", "online.ua"]

SPANISH_FIRST = [
    ("Lucía", "f"), ("María", "f"), ("Carmen", "f"), ("Sofía", "f"), ("Paula", "f"),
    ("Inés", "f"), ("Ana Belén", "f"), ("José", "m"), ("Javier", "m"), ("Álvaro", "m"),
    ("Sergio", "m"), ("Pablo", "m"), ("Andrés", "m"), ("Íñigo", "m"),
]  # fmt: skip
SPANISH_SURNAMES = [
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Muñoz", "Álvarez", "Peña",
]  # fmt: skip
SPANISH_CITIES = ["Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga", "Bilbao"]
SPANISH_DOMAINS = ["hotmail.es", "yahoo.es", "telefonica.net", "movistar.es"]

# People present at all three vendors under one e-mail, for demos of cross-vendor linking:
# (first, last, e-mail, phone as Thulium / HelpCrunch / Bony each hold it, city, locale, female).
SHARED_PEOPLE = [
    ("Anna", "Nowak", "anna.nowak@gmail.com",
     ("+48 601 234 567", "+48601234567", "48601234567"), "Warszawa", "pl_PL", True),
    ("Оксана", "Мельник", "oksana.melnyk@gmail.com",
     ("+380 67 123 4567", "+380671234567", "380671234567"), "Львів", "uk_UA", True),
    ("Lucía", "Fernández", "lucia.fernandez@gmail.com",
     ("+34 612 345 678", "+34612345678", "34612345678"), "Madrid", "es_ES", True),
    ("Łukasz", "Wójcik", "lukasz.wojcik@gmail.com",
     ("+48 502 111 222", "+48502111222", "48502111222"), "Kraków", "pl_PL", False),
]  # fmt: skip

THULIUM_AGENTS = [
    ("agent.demo", "Demo", "Agent"),
    ("testowy.agent17", "Testowy", "Agent"),
    ("ewa.kaczmarek", "Ewa", "Kaczmarek"),
    ("marek.sikora", "Marek", "Sikora"),
    ("natalia.bondar", "Natalia", "Bondar"),
]
THULIUM_QUEUES = ["Sprzedaż", "Obsługa klienta", "Reklamacje", "Wsparcie techniczne"]
THULIUM_SEGMENTS = ["Standard", "Premium", "Biznes", "VIP"]
THULIUM_TAGS = ["VIP", "newsletter", "reklamacja", "B2B", "nowy klient", "windykacja"]
THULIUM_SUBJECTS = [
    "Problem z logowaniem do panelu klienta",
    "Reklamacja zamówienia nr {n}",
    "Pytanie o fakturę VAT za {month}",
    "Zmiana adresu dostawy",
    "Brak potwierdzenia płatności",
    "Prośba o zwrot środków",
    "Awaria usługi — brak dostępu do internetu",
    "Zmiana pakietu na wyższy",
    "Duplikat faktury",
]
THULIUM_MAILS = [
    "Dzień dobry,\n\nod wczoraj nie mogę się zalogować — system odrzuca hasło. Proszę o pomoc.\n\n"
    "Pozdrawiam",
    "Dzień dobry,\n\nzamówienie dotarło uszkodzone, w załączeniu zdjęcia. Czekam na informację, "
    "jak mogę je odesłać.",
    "Witam, proszę o przesłanie faktury VAT na dane firmy. Z góry dziękuję.",
    "Dzień dobry, zapłaciłem przelewem trzy dni temu, a status nadal pokazuje „nieopłacone”.",
    "Uprzejmie proszę o zmianę adresu dostawy na: ul. Długa 15/4, 80-831 Gdańsk.",
]
THULIUM_REPLIES = [
    "<p>Dzień dobry,</p><p>dziękujemy za wiadomość. Sprawdziliśmy zgłoszenie i hasło zostało "
    "zresetowane — link do ustawienia nowego wysłaliśmy e-mailem.</p><p>Pozdrawiamy</p>",
    "<p>Dzień dobry,</p><p>przepraszamy za kłopot. Kurier odbierze przesyłkę w ciągu dwóch dni "
    "roboczych.</p>",
    "<p>Faktura została wystawiona i jest dostępna w panelu klienta.</p>",
    "Dzień dobry, płatność została zaksięgowana, status zamówienia już się zmienił. Pozdrawiamy.",
]
THULIUM_COMMENTS = [
    "Klient dzwonił także w tej sprawie, prosi o pilny kontakt.",
    "Przekazane do działu księgowości.",
    "Do weryfikacji z magazynem — możliwa reklamacja u przewoźnika.",
]

HELPCRUNCH_AGENTS = [
    ("Demo Agent", "agent.demo@switchboard.example", "admin"),
    ("Ірина Коваль", "iryna.koval@switchboard.example", "agent"),
    ("Максим Гнатюк", "maksym.hnatiuk@switchboard.example", "agent"),
    ("Sofía Ortega", "sofia.ortega@switchboard.example", "agent"),
]
HELPCRUNCH_TAGS = [
    ("vip", "#c377e0"), ("Lead", "#cccccc"), ("Paid", "#52c41a"), ("оплата", "#ff4d4f"),
    ("доставка", "#1890ff"), ("повернення", "#fa8c16"),
]  # fmt: skip
HELPCRUNCH_STATUSES = ["new", "opened", "pending", "on hold", "closed"]
HELPCRUNCH_CUSTOMER_LINES = [
    "Добрий день! Не можу оплатити замовлення карткою.",
    "Коли буде доставка мого замовлення?",
    "Привіт, як змінити адресу доставки?",
    "Хочу повернути товар, що для цього потрібно?",
    "Дякую, все працює!",
    "Dzień dobry, czy mogę zapłacić BLIKIEM?",
]
HELPCRUNCH_AGENT_LINES = [
    "Вітаю! Зараз перевірю, зачекайте хвилинку, будь ласка.",
    "Ваше замовлення вже передано службі доставки, номер ТТН надіслали на e-mail.",
    "Адресу можна змінити в особистому кабінеті, розділ «Доставка».",
    "Для повернення заповніть, будь ласка, форму за посиланням у листі.",
    "Радий був допомогти! Гарного дня.",
]
HELPCRUNCH_NOTES = ["Клієнт VIP, відповісти пріоритетно.", "Перевірити платіж у LiqPay."]

BONY_TAGS = [
    "Cliente VIP", "Newsletter", "Carrito abandonado", "Soporte", "Promoción Black Friday",
    "Blog Updates", "Platform Updates",
]  # fmt: skip
BONY_PLANS = ["básico", "premium", "empresa"]
