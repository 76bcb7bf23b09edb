from edu_clf.cli import main

main()
